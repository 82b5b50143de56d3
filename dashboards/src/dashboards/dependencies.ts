import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { breakerTimelinePanel } from '../chat-panels.js';
import { createParleyDashboard } from '../parley-dashboard.js';
import { nodeGraphPanel, prom, serviceMap, stateTimelinePanel, states, tablePanel, timeseriesPanel, transform } from '../panels.js';
import { TIME_RANGE, quantile, ratio, shareOf, sumIncrease, sumRate } from '../promql.js';
import { latencyPanel, percentile } from '../service-panels.js';
import { DIRECTORY } from '../directory.js';

/** Service-graph edges (collector servicegraph connector, remote-written to Prometheus). */
const EDGE = ['client', 'server'];
const EDGE_LEGEND = '{{client}} → {{server}}';
const GRAPH = 'traces_service_graph_request';
const THIRD = { width: 8 } as const;

const edgeFailures = (range?: string): string => ratio(`${GRAPH}_failed_total`, `${GRAPH}_total`, EDGE, range);
const edgeP95 = (range?: string): string => quantile(0.95, `${GRAPH}_server_seconds`, [], EDGE, range);

/** p95 of a caller-side histogram per `labels`, with exemplars. */
function p95Panel(title: string, histogram: string, labels: string[], legend: string): timeseries.PanelBuilder {
  return timeseriesPanel({ title, unit: 's', ...THIRD, queries: [prom(quantile(0.95, histogram, [], labels), `${percentile(0.95)} ${legend}`, { exemplar: true })] });
}

export function dependenciesDashboard(): dashboard.Dashboard {
  const instant = { instant: true, format: 'table' } as const;
  return createParleyDashboard({
    ...DIRECTORY.dependencies,
    sections: [
      {
        title: 'Service graph (from every span, before tail sampling)',
        panels: [
          nodeGraphPanel({ title: 'Service graph', description: "Tempo's service map, built from traces_service_graph_* in Prometheus.", width: 24, height: 12, queries: [serviceMap()] }),
          timeseriesPanel({ title: 'Requests per second per edge', unit: 'reqps', ...THIRD, queries: [prom(sumRate(`${GRAPH}_total`, [], EDGE), EDGE_LEGEND)] }),
          timeseriesPanel({ title: 'Failed share per edge', unit: 'percentunit', min: 0, ...THIRD, queries: [prom(edgeFailures(), EDGE_LEGEND)] }),
          timeseriesPanel({ title: 'Server latency p95 per edge', unit: 's', ...THIRD, queries: [prom(edgeP95(), `p95 ${EDGE_LEGEND}`, { exemplar: true })] }),
          tablePanel({
            title: 'Edges over the selected time range',
            width: 24,
            transformations: [
              transform.merge(),
              transform.organize({ client: 'client', server: 'server', 'Value #A': 'requests', 'Value #B': 'failed share', 'Value #C': 'server p95' }),
            ],
            queries: [prom(sumIncrease(`${GRAPH}_total`, [], EDGE), undefined, instant), prom(edgeFailures(TIME_RANGE), undefined, instant), prom(edgeP95(TIME_RANGE), undefined, instant)],
          })
            .overrideByName('failed share', [{ id: 'unit', value: 'percentunit' }])
            .overrideByName('server p95', [{ id: 'unit', value: 's' }]),
        ],
      },
      {
        title: 'Each dependency as its caller sees it (Prometheus scrape of the services)',
        panels: [
          p95Panel('gateway → chat-service: time to response headers (p95)', 'gateway_upstream_duration_seconds', ['http_route'], '{{http_route}}'),
          timeseriesPanel({
            title: 'gateway → chat-service: responses per second by status',
            unit: 'reqps',
            stack: true,
            ...THIRD,
            queries: [prom(sumRate('gateway_upstream_duration_seconds_count', [], ['http_route', 'http_response_status_code']), '{{http_route}} {{http_response_status_code}}')],
          }),
          p95Panel("gateway's own work before proxying (p95)", 'gateway_request_overhead_seconds', ['http_route'], '{{http_route}}'),
          latencyPanel(
            { matchers: ['job="safety-service"', 'http_route="/v1/moderate"'], labels: ['http_response_status_code'], legend: '{{http_response_status_code}}' },
            [0.5, 0.95],
            { title: 'chat-service → safety-service: POST /v1/moderate as served', ...THIRD },
          ),
          p95Panel('chat-service → LLM provider: call duration (p95)', 'gen_ai_client_operation_duration_seconds', ['gen_ai_provider_name'], '{{gen_ai_provider_name}}'),
          p95Panel('gateway → Redis: limit store call time (p95)', 'gateway_limit_store_duration_seconds', ['operation'], '{{operation}}'),
          timeseriesPanel({
            title: 'gateway → Redis: failed limit store calls per second',
            unit: 'ops',
            width: 12,
            queries: [prom(sumRate('gateway_limit_store_errors_total', [], ['operation']), '{{operation}}')],
          }),
          stateTimelinePanel({
            title: 'gateway → Redis: limit store degraded (LIMITS_ON_REDIS_FAILURE applies)',
            width: 12,
            mappings: states({ '0': { text: 'ok', color: 'green' }, '1': { text: 'degraded', color: 'red' } }),
            queries: [prom('max by (instance) (gateway_limit_store_degraded)', '{{instance}}')],
          }),
          breakerTimelinePanel([], { title: 'Circuit breakers (LLM models, safety-service, classifier)' }),
        ],
      },
      {
        title: 'Outgoing calls from span metrics (every span, before tail sampling)',
        panels: [
          timeseriesPanel({
            title: 'Client spans per second by service and span',
            unit: 'ops',
            width: 12,
            queries: [prom(sumRate('traces_span_metrics_calls_total', ['span_kind="SPAN_KIND_CLIENT"'], ['service_name', 'span_name']), '{{service_name}}: {{span_name}}')],
          }),
          timeseriesPanel({
            title: 'Client spans with error status (share)',
            unit: 'percentunit',
            min: 0,
            width: 12,
            queries: [prom(shareOf('traces_span_metrics_calls_total', ['span_kind="SPAN_KIND_CLIENT"'], 'status_code="STATUS_CODE_ERROR"', ['service_name', 'span_name']), '{{service_name}}: {{span_name}}')],
          }),
        ],
      },
    ],
  });
}
