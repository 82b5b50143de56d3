import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type * as table from '@grafana/grafana-foundation-sdk/table';
import { createParleyDashboard } from '../parley-dashboard.js';
import { heatmapPanel, prom, tablePanel, timeseriesPanel, transform, type Query } from '../panels.js';
import { NOT_OPS, TIME_RANGE, quantile, selector, sumIncrease, sumRate } from '../promql.js';
import { cpuPanel, errorRatioPanel, eventLoopLagPanel, latencyPanel, requestRatePanel, scrapeTargetsPanel, type HttpScope } from '../service-panels.js';
import { labelValuesVariable, serviceVariable } from '../variables.js';
import { DIRECTORY } from '../directory.js';

const SERVICE = 'job=~"$service"';
const HTTP = [SERVICE, 'http_route=~"$route"', NOT_OPS];
const BY_SERVICE: HttpScope = { matchers: HTTP, labels: ['job'], legend: '{{job}}' };
const BY_ROUTE: HttpScope = { matchers: HTTP, labels: ['job', 'http_request_method', 'http_route'], legend: '{{job}} {{http_request_method}} {{http_route}}' };
const RUNTIME = [SERVICE];
/** A gauge summed over each service's instances. */
const perService = (gauge: string, legend: string): Query => prom(`sum by (job) (${selector(gauge, RUNTIME)})`, `${legend} {{job}}`);

/** p50/p95/p99 and request count per route over the whole time range, one row per route. */
function routeTable(): table.PanelBuilder {
  const labels = BY_ROUTE.labels;
  const instant = { instant: true, format: 'table' } as const;
  return tablePanel({
    title: 'Routes over the selected time range',
    width: 12,
    height: 10,
    unit: 's',
    sortBy: 'requests',
    transformations: [
      transform.merge(),
      transform.organize({ job: 'service', http_request_method: 'method', http_route: 'route', 'Value #A': 'requests', 'Value #B': 'p50', 'Value #C': 'p95', 'Value #D': 'p99' }),
    ],
    queries: [
      prom(sumIncrease('http_server_request_duration_seconds_count', HTTP, labels), undefined, instant),
      ...[0.5, 0.95, 0.99].map((q) => prom(quantile(q, 'http_server_request_duration_seconds', HTTP, labels, TIME_RANGE), undefined, instant)),
    ],
  }).overrideByName('requests', [{ id: 'unit', value: 'short' }]);
}

export function servicesDashboard(): dashboard.Dashboard {
  return createParleyDashboard({
    ...DIRECTORY.services,
    variables: [serviceVariable(), labelValuesVariable('route', 'Route', 'http_server_request_duration_seconds_count', 'http_route')],
    sections: [
      {
        title: 'RED per service',
        panels: [requestRatePanel(BY_SERVICE), errorRatioPanel(BY_SERVICE), latencyPanel(BY_SERVICE, [0.5, 0.95, 0.99])],
      },
      {
        title: 'RED per route',
        panels: [
          requestRatePanel(BY_ROUTE, { title: 'Requests per second by route', width: 12 }),
          timeseriesPanel({
            title: 'Responses per second by status code',
            unit: 'reqps',
            width: 12,
            stack: true,
            queries: [prom(sumRate('http_server_request_duration_seconds_count', HTTP, ['job', 'http_response_status_code']), '{{job}} {{http_response_status_code}}')],
          }),
          errorRatioPanel(BY_ROUTE, { title: 'Server errors (5xx share) by route', width: 12 }),
          latencyPanel(BY_ROUTE, [0.95], { title: 'Latency p95 by route', width: 12 }),
          heatmapPanel({
            title: 'Latency distribution (all selected routes)',
            unit: 's',
            width: 12,
            height: 10,
            queries: [prom(sumRate('http_server_request_duration_seconds_bucket', HTTP, ['le']), '{{le}}', { format: 'heatmap', exemplar: true })],
          }),
          routeTable(),
        ],
      },
      {
        title: 'USE: Node.js runtime (prom-client default metrics)',
        panels: [
          cpuPanel(RUNTIME),
          timeseriesPanel({ title: 'Resident memory', unit: 'bytes', queries: [prom(`sum by (job, instance) (${selector('process_resident_memory_bytes', RUNTIME)})`, '{{job}} {{instance}}')] }),
          timeseriesPanel({
            title: 'V8 heap used and total',
            unit: 'bytes',
            queries: [
              perService('nodejs_heap_size_used_bytes', 'used'),
              perService('nodejs_heap_size_total_bytes', 'total'),
            ],
          }),
          eventLoopLagPanel(RUNTIME),
          timeseriesPanel({
            title: 'Garbage collection (share of time)',
            unit: 'percentunit',
            stack: true,
            queries: [prom(sumRate('nodejs_gc_duration_seconds_sum', RUNTIME, ['job', 'kind']), '{{job}} {{kind}}')],
          }),
          timeseriesPanel({
            title: 'Open handles and file descriptors',
            unit: 'short',
            queries: [
              perService('nodejs_active_handles_total', 'handles'),
              perService('process_open_fds', 'fds'),
            ],
          }),
          scrapeTargetsPanel(RUNTIME, { height: 5 }),
        ],
      },
    ],
  });
}
