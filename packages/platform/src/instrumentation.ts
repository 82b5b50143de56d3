/**
 * OpenTelemetry bootstrap. Each service's src/instrumentation.ts calls `startTelemetry`
 * and is preloaded with `node --import ./dist/instrumentation.js dist/main.js`, so the
 * ESM loader hook and the instrumentations are in place before express, http or ioredis load.
 * This module must not import anything from the app (or express, pino...) itself.
 */
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_HTTP_ROUTE, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { httpRoute, type RoutedRequest, type RoutedResponse } from './http-route.js';
import { createSpanProcessorFromEnv } from './span-export.js';
import { processSpanExportStats } from './span-export-stats.js';

export interface TelemetryOptions {
  /** Default service.name; OTEL_SERVICE_NAME wins when set. */
  serviceName: string;
  serviceVersion: string;
  /** The environment (normally process.env); read only here and in config. */
  env: Record<string, string | undefined>;
  /**
   * CLIENT spans for outgoing node:http requests (default true). A service that forwards every
   * request (the gateway's proxy) turns them off and injects the trace context itself: the span
   * cost more than a third of its throughput, even unsampled (bench: tracing cost).
   */
  httpClientSpans?: boolean;
}

export interface Telemetry {
  /** Whether spans leave the process (OTLP endpoint configured). */
  readonly exporting: boolean;
  shutdown(): Promise<void>;
}

const GLOBAL_KEY = Symbol.for('parley.telemetry');
export const DEFAULT_SAMPLING_RATIO = 0.1;

/**
 * Instrumentations Parley relies on; the rest of the bundle stays off (fs is noisy, openai is
 * hand-made, runtime metrics come from prom-client). getNodeAutoInstrumentations constructs,
 * and so enables, every instrumentation not excluded by OTEL_NODE_ENABLED_INSTRUMENTATIONS:
 * filtering its result afterwards would leave forty of them patching modules.
 */
const DEFAULT_INSTRUMENTATIONS = 'http,undici,ioredis,pino';

export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const existing = (globalThis as Record<symbol, Telemetry | undefined>)[GLOBAL_KEY];
  if (existing) return existing;
  const { env } = options;
  if (env['OTEL_SDK_DISABLED'] === 'true' || !isMainThread) {
    return { exporting: false, shutdown: async () => {} };
  }

  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  process.env['OTEL_NODE_ENABLED_INSTRUMENTATIONS'] = env['OTEL_NODE_ENABLED_INSTRUMENTATIONS'] ?? DEFAULT_INSTRUMENTATIONS;
  const exporting =
    Boolean(env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) && env['OTEL_TRACES_EXPORTER'] !== 'none';
  const instrumentations = getNodeAutoInstrumentations({
    '@opentelemetry/instrumentation-http': {
      // Health checks and scrapes are not user traffic.
      disableOutgoingRequestInstrumentation: options.httpClientSpans === false,
      ignoreIncomingRequestHook: (req) => /^\/(livez|readyz|metrics)(\?|$)/.test(req.url ?? ''),
      // The server span is named by its route template (`GET /api/v1/history`, with `http.route`),
      // from what express's router (or a proxy route) left on req/res, just before the span ends.
      // This replaces the express instrumentation, which patched every layer of every request to
      // do the same (even with all its layer spans off it cost the gateway throughput).
      applyCustomAttributesOnSpan: (span, request, response) => {
        if (!('locals' in response)) return; // a client span, or a response express never saw
        const route = httpRoute(request as RoutedRequest, response as RoutedResponse);
        if (!route) return;
        span.setAttribute(ATTR_HTTP_ROUTE, route);
        span.updateName(`${(request as { method?: string }).method ?? 'GET'} ${route}`);
      },
    },
    // Trace ids are added to every line by Parley's own logger mixin.
    '@opentelemetry/instrumentation-pino': { disableLogCorrelation: true, disableLogSending: true },
  });
  const sdk = new NodeSDK({
    serviceName: env['OTEL_SERVICE_NAME'] ?? options.serviceName,
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      [ATTR_SERVICE_VERSION]: options.serviceVersion,
      'deployment.environment.name': env['PARLEY_ENVIRONMENT'] ?? env['NODE_ENV'] ?? 'development',
    }),
    instrumentations,
    // Without an OTLP endpoint spans are still created (trace ids for logs, errors and
    // propagation) but go nowhere. With one, the batch processor and OTLP exporter come from the
    // OTEL_* vars, with a bounded queue: when the collector is down spans are dropped and
    // counted (otel_spans_dropped_total on each service's /metrics), never held or waited for.
    spanProcessors: [exporting ? createSpanProcessorFromEnv(env, processSpanExportStats()) : new NoopSpanProcessor()],
    // Parley's default head sampling keeps 10% of new traces and follows the caller's decision;
    // OTEL_TRACES_SAMPLER overrides it (compose runs always_on and samples in the collector).
    ...(env['OTEL_TRACES_SAMPLER'] ? {} : { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(DEFAULT_SAMPLING_RATIO) }) }),
    // Metrics are prom-client's and logs are stdout JSON.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();

  const telemetry: Telemetry = {
    exporting,
    shutdown: () => sdk.shutdown(),
  };
  (globalThis as Record<symbol, Telemetry | undefined>)[GLOBAL_KEY] = telemetry;
  return telemetry;
}

/** Flushes and stops the SDK if it was started (a shutdown hook for main.ts). */
export async function shutdownTelemetry(): Promise<void> {
  await (globalThis as Record<symbol, Telemetry | undefined>)[GLOBAL_KEY]?.shutdown();
}
