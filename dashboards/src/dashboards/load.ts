import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { llmDurationPanel, ttftPanel } from '../chat-panels.js';
import { createParleyDashboard } from '../parley-dashboard.js';
import { prom, steps, timeseriesPanel } from '../panels.js';
import { NOT_OPS, sumRate } from '../promql.js';
import { cpuPanel, errorRatioPanel, eventLoopLagPanel, latencyPanel, requestRatePanel, type HttpScope } from '../service-panels.js';
import { DIRECTORY } from '../directory.js';

/** k6's http_req_duration trend stats as the experimental-prometheus-rw output writes them (K6_PROMETHEUS_RW_TREND_STATS). */
const TREND_STATS = ['p50', 'p95', 'p99', 'max'] as const;
const GATEWAY: HttpScope = { matchers: ['job="gateway"', NOT_OPS], labels: ['http_request_method', 'http_route'], legend: '{{http_request_method}} {{http_route}}' };
const PARLEY_SERVICES = ['job=~"gateway|chat-service|safety-service"'];
const QUARTER = { width: 6, height: 6 } as const;
const THIRD = { width: 8 } as const;

export function loadDashboard(): dashboard.Dashboard {
  return createParleyDashboard({
    ...DIRECTORY.load,
    sections: [
      {
        title: 'k6: what the load generator saw',
        panels: [
          timeseriesPanel({ title: 'Virtual users', unit: 'short', ...QUARTER, queries: [prom('sum(k6_vus)', 'VUs')] }),
          timeseriesPanel({ title: 'Iterations per second', unit: 'ops', ...QUARTER, queries: [prom(sumRate('k6_iterations_total', [], ['scenario']), '{{scenario}}')] }),
          timeseriesPanel({ title: 'Checks passed', unit: 'percentunit', min: 0, max: 1, ...QUARTER, thresholds: steps('red', [1, 'green']), queries: [prom('avg(k6_checks_rate)', 'passed')] }),
          timeseriesPanel({ title: 'Failed requests (k6 http_req_failed)', unit: 'percentunit', min: 0, ...QUARTER, queries: [prom('avg by (name) (k6_http_req_failed_rate)', '{{name}}')] }),
          timeseriesPanel({
            title: 'Requests per second by status',
            unit: 'reqps',
            width: 12,
            stack: true,
            queries: [prom(sumRate('k6_http_reqs_total', [], ['status']), '{{status}}')],
          }),
          timeseriesPanel({
            title: 'Request duration (p50 / p95 / p99 / max per request name)',
            unit: 's',
            width: 12,
            queries: TREND_STATS.map((stat) => prom(`max by (name) (k6_http_req_duration_${stat})`, `${stat} {{name}}`)),
          }),
          // The scenarios' own trends (k6/lib/k6-parley.ts): k6 reads whole bodies, so a streamed
          // turn's first byte (the SSE headers, sent after the model's first chunk) is a lower
          // bound of time to first token, and the full reply an upper bound.
          timeseriesPanel({
            title: 'Streamed turns: first byte and full reply (p95, by API)',
            unit: 's',
            width: 12,
            queries: [
              prom('max by (api) (k6_parley_stream_first_byte_p95)', 'first byte p95 {{api}}'),
              prom('max by (api) (k6_parley_full_reply_time_p95)', 'full reply p95 {{api}}'),
            ],
          }),
          timeseriesPanel({
            title: 'Failed chat turns (k6: non-2xx, error event or broken stream)',
            unit: 'percentunit',
            min: 0,
            width: 12,
            queries: [prom('avg by (api, streamed) (k6_parley_chat_turn_failed_rate)', '{{api}} streamed={{streamed}}')],
          }),
        ],
      },
      {
        title: 'Server side over the same time range (gateway routes, chat path, runtime)',
        panels: [
          requestRatePanel(GATEWAY, { title: 'gateway: requests per second by route', ...THIRD }),
          errorRatioPanel(GATEWAY, { title: 'gateway: 5xx share by route', ...THIRD }),
          latencyPanel(GATEWAY, [0.95], { title: 'gateway: latency p95 by route', ...THIRD }),
          ttftPanel([0.95], { title: 'Time to first text p95 (streamed turns)', ...THIRD }),
          llmDurationPanel([0.95], [], { title: 'LLM call duration p95', ...THIRD }),
          timeseriesPanel({
            title: 'Rate-limit and budget rejections per second',
            unit: 'ops',
            ...THIRD,
            queries: [
              prom(sumRate('gateway_ratelimit_decisions_total', ['outcome="rejected"'], ['policy']), 'rate limit {{policy}}'),
              prom(sumRate('gateway_budget_decisions_total', ['outcome="rejected"'], ['policy']), 'budget {{policy}}'),
            ],
          }),
          cpuPanel(PARLEY_SERVICES, { width: 12 }),
          eventLoopLagPanel(PARLEY_SERVICES, { width: 12 }),
        ],
      },
    ],
  });
}
