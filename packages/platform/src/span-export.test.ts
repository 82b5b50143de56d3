import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { AlwaysOffSampler, AlwaysOnSampler, TracerProvider, type Sampler } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '@parley/testkit';
import { createMetrics } from './metrics.js';
import { createSpanProcessorFromEnv } from './span-export.js';
import { createSpanExportStats, type SpanExportStats } from './span-export-stats.js';

const MAX_QUEUE = 1000;
const BATCH = 200;
const BURST = 10_000;
const BSP_EXPORT_TIMEOUT_MS = 10_000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A tracer exporting (default protocol, http/protobuf) to 127.0.0.1:port through the env-built pipeline. */
function startTracing(port: number, sampler: Sampler = new AlwaysOnSampler()) {
  const stats = createSpanExportStats();
  const processor = createSpanProcessorFromEnv(
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_BSP_MAX_QUEUE_SIZE: String(MAX_QUEUE),
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: String(BATCH),
      OTEL_BSP_SCHEDULE_DELAY: '20',
      OTEL_BSP_EXPORT_TIMEOUT: String(BSP_EXPORT_TIMEOUT_MS),
      // The exporter gives up on a refused connection at once (its first retry would come after
      // ~1 s), so failed batches are counted within the test rather than after 8 s of retries.
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '500',
    },
    stats,
  );
  const provider = new TracerProvider({ sampler, spanProcessors: [processor] });
  cleanups.push(() => provider.shutdown());
  const tracer = provider.getTracer('span-export-test');
  return { stats, processor, endSpans: (n: number) => { for (let i = 0; i < n; i++) tracer.startSpan('op').end(); } };
}

/** A stand-in collector on `port`: accepts OTLP/HTTP protobuf and counts requests. */
async function startCollector(port: number): Promise<{ requests: string[] }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { requests };
}

async function until(what: string, check: () => boolean, timeoutMs = 4_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The value of one sample in the registry's exposition, as Prometheus would scrape it. */
async function scrape(stats: SpanExportStats): Promise<(sample: string) => number | undefined> {
  const text = await createMetrics({ defaultMetrics: false, spanExportStats: stats }).registry.metrics();
  return (sample) => {
    const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
    return line === undefined ? undefined : Number(line.slice(sample.length + 1));
  };
}

const accounted = (s: SpanExportStats) => s.exported + s.droppedQueueFull + s.droppedExportFailed;

describe('span export when the collector is down', () => {
  it('drops and counts spans instead of waiting or queueing without bound, and exports again once the collector is back', async () => {
    const port = await freePort(); // nothing listens there: the collector is down
    const { stats, processor, endSpans } = startTracing(port);

    // A burst far beyond the queue, in chunks with event-loop turns between them so failing
    // exports run during it, as they would between requests.
    const started = performance.now();
    for (let ended = 0; ended < BURST; ended += 1000) {
      endSpans(1000);
      await nextTurn();
    }
    const burstMs = performance.now() - started;
    expect(burstMs).toBeLessThan(BSP_EXPORT_TIMEOUT_MS / 2);
    expect(processor.peakQueueLength).toBe(MAX_QUEUE);
    expect(stats.droppedQueueFull).toBeGreaterThan(0);

    // Every span of the burst ends up dropped, one way or the other, and counted.
    await until('the queue has drained into failed exports', () => processor.queueLength === 0 && accounted(stats) === BURST);
    expect(stats.exported).toBe(0);
    expect(stats.droppedExportFailed).toBeGreaterThan(0);
    expect(processor.peakQueueLength).toBe(MAX_QUEUE);
    const down = await scrape(stats);
    expect(down('otel_spans_dropped_total{reason="queue_full"}')).toBe(stats.droppedQueueFull);
    expect(down('otel_spans_dropped_total{reason="export_failed"}')).toBe(stats.droppedExportFailed);
    expect(down('otel_spans_exported_total')).toBe(0);

    const collector = await startCollector(port);
    endSpans(300);
    await until('the new spans are exported', () => stats.exported === 300);
    expect(collector.requests).toContain('POST /v1/traces application/x-protobuf');
    const up = await scrape(stats);
    expect(up('otel_spans_exported_total')).toBe(300);
    expect(up('otel_spans_dropped_total{reason="queue_full"}')).toBe(down('otel_spans_dropped_total{reason="queue_full"}'));
    expect(up('otel_spans_dropped_total{reason="export_failed"}')).toBe(down('otel_spans_dropped_total{reason="export_failed"}'));
  });

  it('leaves spans that were not sampled out of the queue and the counts', async () => {
    const port = await freePort();
    const { stats, processor, endSpans } = startTracing(port, new AlwaysOffSampler());
    endSpans(BURST);
    expect(processor.peakQueueLength).toBe(0);
    expect(accounted(stats)).toBe(0);
    const metrics = await scrape(stats);
    expect(metrics('otel_spans_dropped_total{reason="queue_full"}')).toBe(0);
    expect(metrics('otel_spans_dropped_total{reason="export_failed"}')).toBe(0);
  });
});
