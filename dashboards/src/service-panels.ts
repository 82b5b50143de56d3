import type * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import type * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { UP_DOWN, prom, stateTimelinePanel, steps, timeseriesPanel, type PanelOptions } from './panels.js';
import { quantile, selector, serverErrorRatio, sumRate, type Matchers } from './promql.js';

/**
 * RED (rate, errors, duration) from http_server_request_duration_seconds and USE from the
 * prom-client default metrics, for any set of services and routes. The services, SLO and
 * load-test dashboards use them with their own filters.
 */
export interface HttpScope {
  /** Label matchers on http_server_request_duration_seconds. */
  matchers: Matchers;
  /** One series per combination of these labels. */
  labels: readonly string[];
  /** Series name, e.g. '{{job}} {{http_route}}'. */
  legend: string;
}

const HTTP = 'http_server_request_duration_seconds';
type Layout = Partial<PanelOptions>;

export function requestRatePanel(scope: HttpScope, layout: Layout = {}): timeseries.PanelBuilder {
  return timeseriesPanel({
    title: 'Requests per second',
    unit: 'reqps',
    ...layout,
    queries: [prom(sumRate(`${HTTP}_count`, scope.matchers, scope.labels), scope.legend)],
  });
}

export function errorRatioPanel(scope: HttpScope, layout: Layout = {}): timeseries.PanelBuilder {
  return timeseriesPanel({
    title: 'Server errors (5xx share)',
    unit: 'percentunit',
    min: 0,
    thresholds: steps('green', [0.01, 'red']),
    ...layout,
    queries: [prom(serverErrorRatio(scope.matchers, scope.labels), scope.legend)],
  });
}

/** 'p95' for 0.95. */
export const percentile = (q: number): string => `p${Math.round(q * 1000) / 10}`;

/** Latency quantiles with exemplars: a dot links to the trace of a request in that bucket. */
export function latencyPanel(scope: HttpScope, quantiles: readonly number[], layout: Layout = {}): timeseries.PanelBuilder {
  return timeseriesPanel({
    title: `Latency ${quantiles.map(percentile).join(' / ')}`,
    unit: 's',
    ...layout,
    queries: quantiles.map((q) => prom(quantile(q, HTTP, scope.matchers, scope.labels), `${percentile(q)} ${scope.legend}`, { exemplar: true })),
  });
}

/** CPU time per second of wall time: 1 = one core busy. */
export function cpuPanel(matchers: Matchers, layout: Layout = {}): timeseries.PanelBuilder {
  return timeseriesPanel({
    title: 'CPU (cores)',
    unit: 'percentunit',
    min: 0,
    ...layout,
    queries: [prom(sumRate('process_cpu_seconds_total', matchers, ['job', 'instance']), '{{job}} {{instance}}')],
  });
}

/** Event-loop lag (prom-client's perf_hooks histogram): a blocked loop delays every request. */
export function eventLoopLagPanel(matchers: Matchers, layout: Layout = {}): timeseries.PanelBuilder {
  const lag = (stat: string) => prom(`max by (job) (${selector(`nodejs_eventloop_lag_${stat}_seconds`, matchers)})`, `${stat} {{job}}`);
  return timeseriesPanel({
    title: 'Event-loop lag (p99 and mean)',
    unit: 's',
    thresholds: steps('green', [0.1, 'red']),
    ...layout,
    queries: [lag('p99'), lag('mean')],
  });
}

/** Prometheus' `up` per scrape target as a band: green while scraped, red while not. */
export function scrapeTargetsPanel(matchers: Matchers, layout: Layout = {}): statetimeline.PanelBuilder {
  return stateTimelinePanel({ title: 'Scrape targets up', width: 24, height: 6, ...layout, mappings: UP_DOWN, queries: [prom(selector('up', matchers), '{{job}} {{instance}}')] });
}
