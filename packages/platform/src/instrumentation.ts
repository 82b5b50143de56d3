/**
 * OpenTelemetry bootstrap. Each service's src/instrumentation.ts calls `startTelemetry`
 * and is preloaded with `node --import ./dist/instrumentation.js dist/main.js`, so the
 * ESM loader hook and the instrumentations are in place before express, http or ioredis load.
 * This module must not import anything from the app (or express, pino...) itself.
 */
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { getNodeAutoInstrumentations, type InstrumentationConfigMap } from '@opentelemetry/auto-instrumentations-node';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { createSpanProcessorFromEnv } from './span-export.js';
import { processSpanExportStats } from './span-export-stats.js';

export interface TelemetryOptions {
  /** Default service.name; OTEL_SERVICE_NAME wins when set. */
  serviceName: string;
  serviceVersion: string;
  /** The environment (normally process.env); read only here and in config. */
  env: Record<string, string | undefined>;
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
const DEFAULT_INSTRUMENTATIONS = 'http,undici,express,ioredis,pino';

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
      ignoreIncomingRequestHook: (req) => /^\/(livez|readyz|metrics)(\?|$)/.test(req.url ?? ''),
    },
    // Trace ids are added to every line by Parley's own logger mixin.
    '@opentelemetry/instrumentation-pino': { disableLogCorrelation: true, disableLogSending: true },
    // Express instrumentation is kept for one thing: it names the HTTP server span's `http.route`
    // (`GET /api/v1/history`), which it sets before the ignore check. Its own layer spans are all
    // off: a span per middleware (helmet alone has eleven) tells little, and the request-handler
    // span's wrapped `next` closure made the gateway promote ~10 MB per scavenge under load
    // (25 ms young-GC pauses; +p99 72 -> 14 ms at 500 req/s when off, `node bench/profile-gateway-gc.mjs on`).
    '@opentelemetry/instrumentation-express': { ignoreLayersType: ['middleware', 'router', 'request_handler'] } as InstrumentationConfigMap['@opentelemetry/instrumentation-express'],
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
