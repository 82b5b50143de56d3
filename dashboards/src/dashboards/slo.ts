import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { TTFT_TARGET_SECONDS, ttftPanel } from '../chat-panels.js';
import { createParleyDashboard } from '../parley-dashboard.js';
import { UP_DOWN, prom, stateTimelinePanel, statPanel, states, steps, tablePanel, textPanel, timeseriesPanel, transform } from '../panels.js';
import { CHAT_ROUTES, SERVER_ERRORS, shareOf, sumIncrease, sumRate } from '../promql.js';
import { DIRECTORY } from '../directory.js';

/**
 * The multi-window, multi-burn-rate alert pairs of deploy/prometheus/rules/parley-slo.yml: an
 * alert needs both windows above the burn rate.
 */
const BURN_WINDOWS = [
  { long: '1h', short: '5m', burn: 14.4, severity: 'page' },
  { long: '6h', short: '30m', burn: 6, severity: 'page' },
  { long: '1d', short: '2h', burn: 3, severity: 'ticket' },
  { long: '3d', short: '6h', burn: 1, severity: 'ticket' },
] as const;

/** Burn rate = bad share / error budget, from the SLO's recording rules `<rule><window>`. */
function burnRatePanels(rule: string, budget: number): timeseries.PanelBuilder[] {
  return BURN_WINDOWS.map((w) =>
    timeseriesPanel({
      title: `Burn rate ${w.long} and ${w.short} (${w.severity} above ${w.burn}x)`,
      unit: 'suffix:x',
      min: 0,
      width: 6,
      height: 7,
      thresholds: steps('green', [w.burn, 'red']),
      queries: [prom(`${rule}${w.long} / ${budget}`, w.long), prom(`${rule}${w.short} / ${budget}`, w.short)],
    }),
  );
}

const CHAT = ['job="gateway"', 'http_request_method="POST"', CHAT_ROUTES];
const AVAILABILITY_BUDGET = 0.001;
const TTFT_BUDGET = 0.05;
/** Share of streamed turns whose first text came within the target, over 30 days. */
const TTFT_GOOD_30D = `${sumRate('parley_chat_time_to_first_text_seconds_bucket', ['job="chat-service"', `le="${TTFT_TARGET_SECONDS}"`], [], '30d')} / ${sumRate('parley_chat_time_to_first_text_seconds_count', ['job="chat-service"'], [], '30d')}`;
const ERRORS_30D = shareOf('http_server_request_duration_seconds_count', CHAT, SERVER_ERRORS, [], '30d');

const budgetSteps = steps('red', [0, 'orange'], [0.25, 'green']);

export function sloDashboard(): dashboard.Dashboard {
  return createParleyDashboard({
    ...DIRECTORY.slo,
    sections: [
      {
        title: 'Chat availability: 99.9% of POST /api/v1/chat and /v1/chat/completions without a 5xx, over 30 days',
        panels: [
          statPanel({ title: 'Availability (30 days)', unit: 'percentunit', decimals: 3, thresholds: steps('red', [0.999, 'green']), queries: [prom(`1 - (${ERRORS_30D})`, undefined, { instant: true })] }),
          statPanel({ title: 'Error budget left (30 days)', unit: 'percentunit', decimals: 1, thresholds: budgetSteps, queries: [prom(`1 - (${ERRORS_30D}) / ${AVAILABILITY_BUDGET}`, undefined, { instant: true })] }),
          statPanel({ title: 'Chat requests (30 days)', unit: 'short', queries: [prom(sumIncrease('http_server_request_duration_seconds_count', CHAT, [], '30d'), undefined, { instant: true })] }),
          statPanel({ title: 'Error share now (5 minutes)', unit: 'percentunit', decimals: 2, thresholds: steps('green', [AVAILABILITY_BUDGET, 'red']), sparkline: true, queries: [prom('slo:chat_request_errors:ratio_rate5m')] }),
          ...burnRatePanels('slo:chat_request_errors:ratio_rate', AVAILABILITY_BUDGET),
        ],
      },
      {
        title: `Streamed time to first token: 95% of streamed turns within ${TTFT_TARGET_SECONDS} s, over 30 days`,
        panels: [
          statPanel({ title: `Turns within ${TTFT_TARGET_SECONDS} s (30 days)`, unit: 'percentunit', decimals: 2, thresholds: steps('red', [1 - TTFT_BUDGET, 'green']), queries: [prom(TTFT_GOOD_30D, undefined, { instant: true })] }),
          statPanel({ title: 'TTFT error budget left (30 days)', unit: 'percentunit', decimals: 1, thresholds: budgetSteps, queries: [prom(`1 - (1 - ${TTFT_GOOD_30D}) / ${TTFT_BUDGET}`, undefined, { instant: true })] }),
          statPanel({ title: 'Streamed turns (30 days)', unit: 'short', queries: [prom(sumIncrease('parley_chat_time_to_first_text_seconds_count', ['job="chat-service"'], [], '30d'), undefined, { instant: true })] }),
          statPanel({ title: 'Slow share now (5 minutes)', unit: 'percentunit', decimals: 2, thresholds: steps('green', [TTFT_BUDGET, 'red']), sparkline: true, queries: [prom('slo:chat_ttft_slow:ratio_rate5m')] }),
          ...burnRatePanels('slo:chat_ttft_slow:ratio_rate', TTFT_BUDGET),
          ttftPanel([0.5, 0.95, 0.99], { width: 24 }),
        ],
      },
      {
        title: 'Alerts (deploy/prometheus/rules; runbooks in deploy/runbooks/<alertname>.md)',
        panels: [
          tablePanel({
            title: 'Pending and firing now',
            description: 'Pending: the condition holds, its `for` has not yet elapsed. Each alert has a runbook: deploy/runbooks/<alertname>.md.',
            width: 12,
            noValue: 'No alert is pending or firing',
            transformations: [transform.organize({ alertname: 'alert', alertstate: 'state', severity: 'severity', job: 'job', long_window: 'window', instance: 'instance' }, ['Time', 'Value', '__name__'])],
            queries: [prom('ALERTS', undefined, { instant: true, format: 'table' })],
          }),
          stateTimelinePanel({
            title: 'Pending and firing',
            width: 12,
            height: 8,
            mappings: states({ '1': { text: 'pending', color: 'orange' }, '2': { text: 'firing', color: 'red' } }),
            queries: [prom('2 * max by (alertname) (ALERTS{alertstate="firing"}) or max by (alertname) (ALERTS{alertstate="pending"})', '{{alertname}}')],
          }),
        ],
      },
      {
        title: 'Golden signals (recording rules of deploy/prometheus/rules/parley-alerts.yml: 5 minutes, ops endpoints excluded)',
        panels: [
          statPanel({ title: 'Scrape targets up', unit: 'none', mappings: UP_DOWN, queries: [prom('up{job=~"gateway|chat-service|safety-service|llm-sim"}', '{{job}}', { instant: true })] }),
          statPanel({ title: 'Requests per second', unit: 'reqps', queries: [prom('job:http_server_requests:rate5m', '{{job}}')] }),
          statPanel({ title: '5xx share', unit: 'percentunit', decimals: 2, thresholds: steps('green', [0.01, 'red']), queries: [prom('job:http_server_request_errors:ratio_rate5m', '{{job}}')] }),
          statPanel({ title: 'p99 latency, chat routes excluded', unit: 's', thresholds: steps('green', [5, 'red']), queries: [prom('job:http_server_request_duration_seconds_non_chat:p99_rate5m', '{{job}}')] }),
          timeseriesPanel({ title: 'Chat requests per second by status', unit: 'reqps', width: 12, stack: true, queries: [prom(sumRate('http_server_request_duration_seconds_count', CHAT, ['http_route', 'http_response_status_code']), '{{http_route}} {{http_response_status_code}}')] }),
          textPanel({
            title: 'Where next',
            width: 12,
            height: 8,
            markdown: Object.values(DIRECTORY)
              .filter((d) => d.uid !== DIRECTORY.slo.uid)
              .map((d) => `- [${d.title}](/d/${d.uid}): ${d.summary}`)
              .join('\n'),
          }),
        ],
      },
    ],
  });
}
