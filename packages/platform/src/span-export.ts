/**
 * The span export pipeline for the telemetry bootstrap: the SDK's BatchSpanProcessor in front of
 * an OTLP exporter, with a bounded queue and every sampled span accounted for. Part of the
 * preloaded instrumentation: imports nothing from the app.
 */
import { TraceFlags } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { z } from 'zod';
import { loadConfig } from './config.js';
import type { SpanExportStats } from './span-export-stats.js';

export interface BoundedBatchSpanProcessorOptions {
  exporter: SpanExporter;
  /** Sampled spans waiting for export; beyond it new spans are dropped (and counted). */
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  stats: SpanExportStats;
}

export interface BoundedBatchSpanProcessor extends SpanProcessor {
  /** Spans queued and not yet handed to the exporter. */
  readonly queueLength: number;
  /** The longest the queue has been. */
  readonly peakQueueLength: number;
}

/**
 * BatchSpanProcessor drops spans once its queue holds maxQueueSize, but only says so in a diag
 * line (its selfObsMeterProvider hook is experimental and needs an OTel MeterProvider). This
 * keeps its own count of the queue (spans passed on, minus spans the processor hands to the
 * exporter) and drops at the same limit first, so the SDK's silent drop never happens, and
 * counts what the exporter delivered or failed to. The count can only run ahead of the SDK's
 * queue (a batch leaves the queue just before export is called), so the bound holds.
 *
 * Memory while the collector is down: at most maxQueueSize spans queued plus the batch being
 * exported (BatchSpanProcessor exports one batch at a time, unless its export timeout fires
 * before the exporter's own timeout does).
 */
export function createBoundedBatchSpanProcessor(options: BoundedBatchSpanProcessorOptions): BoundedBatchSpanProcessor {
  const { exporter: inner, stats, maxQueueSize } = options;
  let queueLength = 0;
  let peakQueueLength = 0;
  let shutDown = false;
  const exporter: SpanExporter = {
    export(spans, done) {
      queueLength -= spans.length;
      const count = spans.length;
      try {
        inner.export(spans, (result) => {
          if (result.code === ExportResultCode.SUCCESS) stats.exported += count;
          else stats.droppedExportFailed += count;
          done(result);
        });
      } catch (error) {
        stats.droppedExportFailed += count;
        done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    },
    shutdown: () => inner.shutdown(),
    ...(inner.forceFlush ? { forceFlush: () => inner.forceFlush?.() ?? Promise.resolve() } : {}),
  };
  const batch = new BatchSpanProcessor({
    exporter,
    maxQueueSize,
    maxExportBatchSize: Math.min(options.maxExportBatchSize, maxQueueSize),
    scheduledDelayMillis: options.scheduledDelayMillis,
    exportTimeoutMillis: options.exportTimeoutMillis,
  });
  return {
    get queueLength() {
      return queueLength;
    },
    get peakQueueLength() {
      return peakQueueLength;
    },
    onStart: (span, parentContext) => batch.onStart(span, parentContext),
    onEnd(span) {
      // The same spans BatchSpanProcessor would take: sampled ones, before shutdown.
      if (shutDown || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
      if (queueLength >= maxQueueSize) {
        stats.droppedQueueFull++;
        return;
      }
      queueLength++;
      if (queueLength > peakQueueLength) peakQueueLength = queueLength;
      batch.onEnd(span);
    },
    forceFlush: () => batch.forceFlush(),
    shutdown() {
      shutDown = true;
      return batch.shutdown();
    },
  };
}

const positiveInt = z.coerce.number().int().min(1);
const protocol = z.enum(['http/protobuf', 'http/json', 'grpc']);

/** The standard OTEL_* variables for span export, with the spec's defaults. */
const spanExportEnvSchema = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol.default('http/protobuf'),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol.optional(),
  OTEL_EXPORTER_OTLP_TIMEOUT: positiveInt.optional(),
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: positiveInt.optional(),
  OTEL_BSP_MAX_QUEUE_SIZE: positiveInt.default(2048),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: positiveInt.default(512),
  OTEL_BSP_SCHEDULE_DELAY: z.coerce.number().int().min(0).default(5000),
  OTEL_BSP_EXPORT_TIMEOUT: positiveInt.default(30_000),
});

/**
 * The export pipeline the OTEL_* variables describe (OTLP over http/protobuf, http/json or grpc),
 * counting into `stats`. Endpoint and timeout are read from `env` and passed on; the exporter
 * still reads headers and compression from the standard variables itself.
 */
export function createSpanProcessorFromEnv(env: Record<string, string | undefined>, stats: SpanExportStats): BoundedBatchSpanProcessor {
  const config = loadConfig(spanExportEnvSchema, env);
  const proto = config.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? config.OTEL_EXPORTER_OTLP_PROTOCOL;
  const base = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  // The signal-specific endpoint is used as is; the generic one gets the signal's path over HTTP.
  const url = config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base && proto !== 'grpc' ? `${base.replace(/\/+$/, '')}/v1/traces` : base);
  const timeoutMillis = config.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? config.OTEL_EXPORTER_OTLP_TIMEOUT;
  const exporterConfig = { ...(url ? { url } : {}), ...(timeoutMillis ? { timeoutMillis } : {}) };
  const Exporter = proto === 'http/json' ? OtlpJsonExporter : proto === 'grpc' ? OtlpGrpcExporter : OtlpProtobufExporter;
  return createBoundedBatchSpanProcessor({
    exporter: new Exporter(exporterConfig),
    maxQueueSize: config.OTEL_BSP_MAX_QUEUE_SIZE,
    maxExportBatchSize: config.OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
    scheduledDelayMillis: config.OTEL_BSP_SCHEDULE_DELAY,
    exportTimeoutMillis: config.OTEL_BSP_EXPORT_TIMEOUT,
    stats,
  });
}
