/**
 * What the trace exporter did with sampled spans, as plain numbers. The telemetry bootstrap is
 * preloaded before the app exists, so it cannot register prom-client metrics; it counts here,
 * and each app's registry reads these counts when scraped (see createMetrics). Imports nothing.
 */
export interface SpanExportStats {
  /** Spans the collector accepted. */
  exported: number;
  /** Spans dropped on arrival because the export queue was full. */
  droppedQueueFull: number;
  /** Spans in batches the exporter could not deliver (collector down, timed out, refused). */
  droppedExportFailed: number;
}

export function createSpanExportStats(): SpanExportStats {
  return { exported: 0, droppedQueueFull: 0, droppedExportFailed: 0 };
}

// On globalThis, like the telemetry handle: the preloaded instrumentation and the app share the
// counts even if they end up with two copies of this module.
const STATS_KEY = Symbol.for('parley.span-export-stats');

/** This process's counts: the ones the telemetry bootstrap writes and /metrics exposes. */
export function processSpanExportStats(): SpanExportStats {
  const global = globalThis as Record<symbol, SpanExportStats | undefined>;
  return (global[STATS_KEY] ??= createSpanExportStats());
}
