import { Counter, Histogram, Registry, collectDefaultMetrics, type OpenMetricsContentType } from 'prom-client';
import { processSpanExportStats, type SpanExportStats } from './span-export-stats.js';

/** OpenTelemetry's recommended buckets for http.server.request.duration. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

export type HttpLabel = 'http_request_method' | 'http_route' | 'http_response_status_code' | 'url_scheme' | 'error_type';
/** prom-client types exemplar labels with the metric's label names; ours are `trace_id`. */
export type ExemplarLabel = 'trace_id';

export interface Metrics {
  /** OpenMetrics registry of this app (exemplars need OpenMetrics). */
  readonly registry: Registry<OpenMetricsContentType>;
  readonly httpServerDuration: Histogram<HttpLabel | ExemplarLabel>;
  /** Bounded method label per OTel semconv: unknown methods become `_OTHER`. */
  methodLabel(method: string): string;
}

export interface CreateMetricsOptions {
  /** Collect process and Node.js runtime metrics (off in most unit tests to keep them quick). */
  defaultMetrics?: boolean;
  /** Where the span export counts come from; the process's own by default (tests pass theirs). */
  spanExportStats?: SpanExportStats;
}

/** A registry per app, so several apps can live in one test process. */
export function createMetrics(options: CreateMetricsOptions = {}): Metrics {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const httpServerDuration = new Histogram<HttpLabel | ExemplarLabel>({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP server requests (OTel http.server.request.duration).',
    // OTel semconv (stable HTTP): url.scheme is required; error.type is set when the request
    // ended in an error (a 5xx: the status code), empty (no label in Prometheus) otherwise.
    labelNames: ['http_request_method', 'http_route', 'http_response_status_code', 'url_scheme', 'error_type'],
    buckets: HTTP_DURATION_BUCKETS,
    registers: [registry],
    enableExemplars: true,
  });
  registerSpanExportMetrics(registry, options.spanExportStats ?? processSpanExportStats());
  return {
    registry,
    httpServerDuration,
    methodLabel: (method) => (KNOWN_METHODS.has(method) ? method : '_OTHER'),
  };
}

/** The classic Prometheus text format (0.0.4), for scrapers that do not ask for OpenMetrics. */
export const PROMETHEUS_TEXT_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * Whether a scraper's Accept header asks for OpenMetrics (Prometheus sends it with the highest
 * weight). As in the Go client, anything else (no header, `*\/*`, `text/plain`) gets the
 * classic text format, which every consumer parses; only OpenMetrics carries exemplars.
 */
export function acceptsOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type !== 'application/openmetrics-text') return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * An OpenMetrics exposition from prom-client as classic text format 0.0.4: exemplars, `# UNIT`
 * and `# EOF` dropped, and counter families named with the `_total` their samples carry
 * (OpenMetrics names the family without it).
 */
export function toPrometheusText(openMetrics: string): string {
  const counters = new Set([...openMetrics.matchAll(/^# TYPE (\S+) counter$/gm)].map((m) => m[1]));
  const lines: string[] = [];
  for (const line of openMetrics.split('\n')) {
    if (line === '# EOF' || line === '' || line.startsWith('# UNIT ')) continue;
    const meta = /^# (HELP|TYPE) (\S+)(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      lines.push(counters.has(name) && !name.endsWith('_total') ? `# ${kind} ${name}_total${rest}` : line);
    } else if (line.startsWith('#')) {
      lines.push(line);
    } else {
      const exemplarAt = line.indexOf(' # {');
      lines.push(exemplarAt === -1 ? line : line.slice(0, exemplarAt));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The trace exporter's counts (kept by the telemetry bootstrap), read at scrape time. */
function registerSpanExportMetrics(registry: Registry<OpenMetricsContentType>, stats: SpanExportStats): void {
  new Counter({
    name: 'otel_spans_dropped_total',
    help: 'Sampled spans not exported: queue_full (the export queue held OTEL_BSP_MAX_QUEUE_SIZE spans), export_failed (their batch was not delivered).',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ reason: 'queue_full' }, stats.droppedQueueFull);
      this.inc({ reason: 'export_failed' }, stats.droppedExportFailed);
    },
  });
  new Counter({
    name: 'otel_spans_exported_total',
    help: 'Sampled spans the trace collector accepted.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats.exported);
    },
  });
}
