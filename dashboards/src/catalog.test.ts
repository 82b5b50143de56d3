import { describe, expect, it } from 'vitest';
import { createCatalog, parseMetricsDoc, parseRecordingRules } from './catalog.js';

const DOC = `
| name | type | labels | meaning | issue |
|---|---|---|---|---|
| \`gateway_auth_failures_total\` | counter | \`reason\` | Requests refused. | #3 |
| \`safety_check_duration_seconds\` | histogram | \`direction\` | Time spent deciding. | #5 |
| \`gateway_kill_switch_engaged\` | gauge | — | 1 while on. | #3 |
`;
const RULES = `
groups:
  - name: x
    rules:
      - record: slo:chat_requests:rate5m
        expr: sum(rate(x_total[5m]))
      - alert: Something
        expr: up == 0
`;

describe('the metric catalog', () => {
  it('reads names and types from the tables of docs/metrics.md', () => {
    expect([...parseMetricsDoc(DOC)]).toEqual([
      ['gateway_auth_failures_total', 'counter'],
      ['safety_check_duration_seconds', 'histogram'],
      ['gateway_kill_switch_engaged', 'gauge'],
    ]);
  });

  it('reads recording rule names, not alerts', () => {
    expect(parseRecordingRules(RULES)).toEqual(['slo:chat_requests:rate5m']);
  });

  it('allows the series PromQL can query: a histogram through _bucket, _sum and _count only', () => {
    const catalog = createCatalog({ metricsDoc: DOC, ruleFiles: [RULES] });
    for (const name of ['gateway_auth_failures_total', 'safety_check_duration_seconds_bucket', 'safety_check_duration_seconds_count', 'gateway_kill_switch_engaged', 'slo:chat_requests:rate5m']) {
      expect(catalog.has(name), name).toBe(true);
    }
    expect(catalog.has('safety_check_duration_seconds')).toBe(false);
    expect(catalog.has('gateway_auth_failures')).toBe(false);
  });

  it('allows the prom-client defaults, the Prometheus synthetic series and the external families', () => {
    const catalog = createCatalog({ metricsDoc: '', ruleFiles: [] });
    for (const name of ['process_cpu_seconds_total', 'nodejs_gc_duration_seconds_sum', 'nodejs_eventloop_lag_p99_seconds', 'up', 'ALERTS', 'scrape_duration_seconds', 'k6_http_reqs_total', 'otelcol_exporter_queue_size', 'traces_service_graph_request_total', 'traces_span_metrics_calls_total']) {
      expect(catalog.has(name), name).toBe(true);
    }
    expect(catalog.has('nodejs_eventloop_lag_p999_seconds')).toBe(false);
    expect(catalog.has('traces_other_total')).toBe(false);
  });
});
