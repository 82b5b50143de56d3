import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The metric names a dashboard may query, and where each group comes from. */
export interface MetricCatalog {
  has(name: string): boolean;
  /** Names and prefixes, for error messages and tests. */
  readonly names: ReadonlySet<string>;
  readonly prefixes: readonly string[];
}

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

/** prom-client 15 default metrics (collectDefaultMetrics), which docs/metrics.md does not list one by one. */
export const DEFAULT_PROCESS_METRICS: Readonly<Record<string, MetricType>> = {
  process_cpu_user_seconds_total: 'counter',
  process_cpu_system_seconds_total: 'counter',
  process_cpu_seconds_total: 'counter',
  process_start_time_seconds: 'gauge',
  process_resident_memory_bytes: 'gauge',
  process_virtual_memory_bytes: 'gauge',
  process_heap_bytes: 'gauge',
  process_open_fds: 'gauge',
  process_max_fds: 'gauge',
  nodejs_eventloop_lag_seconds: 'gauge',
  nodejs_eventloop_lag_min_seconds: 'gauge',
  nodejs_eventloop_lag_max_seconds: 'gauge',
  nodejs_eventloop_lag_mean_seconds: 'gauge',
  nodejs_eventloop_lag_stddev_seconds: 'gauge',
  nodejs_eventloop_lag_p50_seconds: 'gauge',
  nodejs_eventloop_lag_p90_seconds: 'gauge',
  nodejs_eventloop_lag_p99_seconds: 'gauge',
  nodejs_active_resources: 'gauge',
  nodejs_active_resources_total: 'gauge',
  nodejs_active_handles: 'gauge',
  nodejs_active_handles_total: 'gauge',
  nodejs_active_requests: 'gauge',
  nodejs_active_requests_total: 'gauge',
  nodejs_heap_size_total_bytes: 'gauge',
  nodejs_heap_size_used_bytes: 'gauge',
  nodejs_external_memory_bytes: 'gauge',
  nodejs_heap_space_size_total_bytes: 'gauge',
  nodejs_heap_space_size_used_bytes: 'gauge',
  nodejs_heap_space_size_available_bytes: 'gauge',
  nodejs_version_info: 'gauge',
  nodejs_gc_duration_seconds: 'histogram',
};

/** Series Prometheus makes itself: per scrape target, and for alerting rules. */
export const PROMETHEUS_SYNTHETIC = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added', 'ALERTS', 'ALERTS_FOR_STATE'];

/** The telemetry backends' own metrics the pipeline dashboard reads (jobs prometheus, tempo, loki). */
export const BACKEND_METRICS = ['prometheus_tsdb_head_samples_appended_total', 'tempo_distributor_spans_received_total', 'loki_distributor_lines_received_total'];

/**
 * Families that arrive from outside the services: span metrics and the service graph (collector
 * connectors, by remote write), the collector's self-metrics, and k6's remote-write output.
 */
export const EXTERNAL_PREFIXES = ['traces_span_metrics_', 'traces_service_graph_', 'otelcol_', 'k6_'];

/** Queryable series names of one metric family: a classic histogram is read through its three series. */
export function seriesNames(name: string, type: MetricType): string[] {
  if (type === 'histogram') return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
  if (type === 'summary') return [name, `${name}_sum`, `${name}_count`];
  return [name];
}

/** `| \`name\` | type | ...` rows of the catalog tables in docs/metrics.md. */
export function parseMetricsDoc(markdown: string): Map<string, MetricType> {
  const metrics = new Map<string, MetricType>();
  for (const m of markdown.matchAll(/^\|\s*`([A-Za-z_:][\w:]*)`\s*\|\s*(counter|gauge|histogram|summary)\s*\|/gm)) {
    metrics.set(m[1] as string, m[2] as MetricType);
  }
  return metrics;
}

/** `record:` names of a Prometheus rule file. */
export function parseRecordingRules(yaml: string): string[] {
  return [...yaml.matchAll(/^\s*-?\s*record:\s*["']?([A-Za-z_:][\w:]*)["']?\s*$/gm)].map((m) => m[1] as string);
}

export function createCatalog(sources: { metricsDoc: string; ruleFiles: readonly string[] }): MetricCatalog {
  const names = new Set<string>([...PROMETHEUS_SYNTHETIC, ...BACKEND_METRICS]);
  const families = new Map([...parseMetricsDoc(sources.metricsDoc), ...Object.entries(DEFAULT_PROCESS_METRICS)]);
  for (const [name, type] of families) for (const series of seriesNames(name, type)) names.add(series);
  for (const rules of sources.ruleFiles) for (const record of parseRecordingRules(rules)) names.add(record);
  return {
    names,
    prefixes: EXTERNAL_PREFIXES,
    has: (name) => names.has(name) || EXTERNAL_PREFIXES.some((prefix) => name.startsWith(prefix)),
  };
}

/** The catalog from the repository: docs/metrics.md and the rule files in deploy/prometheus/rules (not their tests). */
export function loadCatalog(root: string): MetricCatalog {
  const rulesDir = join(root, 'deploy/prometheus/rules');
  const ruleFiles = readdirSync(rulesDir)
    .filter((f) => f.endsWith('.yml') && !f.endsWith('.test.yml'))
    .sort()
    .map((f) => readFileSync(join(rulesDir, f), 'utf8'));
  return createCatalog({ metricsDoc: readFileSync(join(root, 'docs/metrics.md'), 'utf8'), ruleFiles });
}
