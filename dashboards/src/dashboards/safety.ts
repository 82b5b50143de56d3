import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type * as table from '@grafana/grafana-foundation-sdk/table';
import { createParleyDashboard } from '../parley-dashboard.js';
import { KILL_SWITCH, prom, stateTimelinePanel, statPanel, steps, tablePanel, timeseriesPanel, traceql, transform } from '../panels.js';
import { RATE_INTERVAL, quantile, shareOf, sumIncrease, sumRate } from '../promql.js';
import { percentile } from '../service-panels.js';
import { DIRECTORY } from '../directory.js';

/** Denials as the audit trail records them (audit_writes_total counts every record by type). */
export const DENIAL_TYPES = ['auth.failure', 'authz.denied', 'ratelimit.rejected', 'budget.rejected', 'safety.blocked'] as const;

const THIRD = { width: 8 } as const;
const HALF = { width: 12 } as const;
const INSTANT_TABLE = { instant: true, format: 'table' } as const;

/** Totals over the time range per label set, biggest first. */
function topTable(title: string, metric: string, labels: string[], rename: Record<string, string>): table.PanelBuilder {
  return tablePanel({
    title,
    ...HALF,
    height: 9,
    unit: 'short',
    sortBy: 'count',
    transformations: [transform.organize({ ...rename, Value: 'count' })],
    queries: [prom(`sort_desc(${sumIncrease(metric, [], labels)})`, undefined, INSTANT_TABLE)],
  });
}

/** A TraceQL search table: only traces tail sampling kept (errors, blocks, 401/403/429, slow, 10% of the rest). */
function tracesTable(title: string, query: string): table.PanelBuilder {
  return tablePanel({ title, description: `TraceQL: ${query}`, ...HALF, height: 8, queries: [traceql(query)] });
}

export function safetyDashboard(): dashboard.Dashboard {
  return createParleyDashboard({
    ...DIRECTORY.safety,
    sections: [
      {
        title: 'Moderation (safety-service)',
        panels: [
          timeseriesPanel({
            title: 'Decisions per second by direction and action',
            unit: 'ops',
            stack: true,
            ...THIRD,
            queries: [prom(sumRate('safety_decisions_total', [], ['direction', 'action']), '{{direction}} {{action}}')],
          }),
          timeseriesPanel({
            title: 'Blocked or redacted share by direction',
            unit: 'percentunit',
            min: 0,
            ...THIRD,
            queries: [prom(shareOf('safety_decisions_total', [], 'action=~"block|redact"', ['direction']), '{{direction}}')],
          }),
          timeseriesPanel({
            title: `Time to decide (${[0.5, 0.99].map(percentile).join(' / ')})`,
            unit: 's',
            ...THIRD,
            queries: [0.5, 0.99].map((q) => prom(quantile(q, 'safety_check_duration_seconds', [], ['direction']), `${percentile(q)} {{direction}}`, { exemplar: true })),
          }),
          timeseriesPanel({
            title: 'Decisions that found a category, per second',
            unit: 'ops',
            stack: true,
            ...THIRD,
            queries: [prom(sumRate('safety_decision_categories_total', [], ['direction', 'category', 'action']), '{{direction}} {{category}} {{action}}')],
          }),
          timeseriesPanel({
            title: 'Chat requests failed closed (safety-service could not answer)',
            description: 'chat-service refused the request (input) or stopped the stream (output) rather than let unchecked text through. Alert: ParleySafetyFailingClosed.',
            unit: 'short',
            bars: true,
            ...THIRD,
            queries: [prom(sumIncrease('chat_safety_fail_closed_total', [], ['direction'], RATE_INTERVAL), '{{direction}}')],
          }),
          statPanel({
            title: 'Policy version in force',
            show: 'name',
            unit: 'none',
            ...THIRD,
            height: 8,
            queries: [prom('max by (version) (parley_safety_policy_info == 1)', '{{version}}', { instant: true })],
          }),
          topTable('Categories found in the time range', 'safety_decision_categories_total', ['direction', 'category', 'action'], { direction: 'direction', category: 'category', action: 'action' }),
          topTable('Detector rules that fired in the time range', 'safety_findings_total', ['direction', 'rule', 'action'], { direction: 'direction', rule: 'rule', action: 'action' }),
        ],
      },
      {
        title: 'Authentication and authorization (gateway)',
        panels: [
          timeseriesPanel({
            title: 'Authentications per second by credential and outcome',
            unit: 'ops',
            ...THIRD,
            queries: [prom(sumRate('gateway_auth_decisions_total', [], ['method', 'outcome']), '{{method}} {{outcome}}')],
          }),
          timeseriesPanel({
            title: 'Authentication failures per second by reason',
            unit: 'ops',
            stack: true,
            ...THIRD,
            queries: [prom(sumRate('gateway_auth_failures_total', [], ['reason']), '{{reason}}')],
          }),
          timeseriesPanel({
            title: 'Denials recorded in the audit trail, per second',
            description: 'audit_writes_total by type: authentication failures, role denials, rate-limit, budget and safety refusals.',
            unit: 'ops',
            stack: true,
            ...THIRD,
            queries: [prom(sumRate('audit_writes_total', [`type=~"${DENIAL_TYPES.join('|')}"`], ['type']), '{{type}}')],
          }),
        ],
      },
      {
        title: 'Rate limits, budgets and the kill switch (gateway)',
        panels: [
          timeseriesPanel({
            title: 'Rate-limit decisions per second by policy and outcome',
            unit: 'ops',
            ...THIRD,
            queries: [prom(sumRate('gateway_ratelimit_decisions_total', [], ['policy', 'outcome']), '{{policy}} {{outcome}}')],
          }),
          timeseriesPanel({
            title: 'Rejected share by policy',
            unit: 'percentunit',
            min: 0,
            ...THIRD,
            queries: [
              prom(shareOf('gateway_ratelimit_decisions_total', [], 'outcome="rejected"', ['policy']), 'rate limit {{policy}}'),
              prom(shareOf('gateway_budget_decisions_total', [], 'outcome="rejected"', ['policy']), 'budget {{policy}}'),
            ],
          }),
          stateTimelinePanel({
            title: 'Kill switch',
            description: 'While engaged, every chat request gets 503 (counted against the availability SLO). Alert: ParleyKillSwitchEngaged.',
            ...THIRD,
            mappings: KILL_SWITCH,
            queries: [prom('max(gateway_kill_switch_engaged)', 'kill switch')],
          }),
        ],
      },
      {
        title: 'Audit trail volume',
        panels: [
          timeseriesPanel({
            title: 'Audit records written per second by type and outcome',
            unit: 'ops',
            stack: true,
            ...HALF,
            queries: [prom(sumRate('audit_writes_total', [], ['type', 'outcome']), '{{type}} {{outcome}}')],
          }),
          timeseriesPanel({
            title: 'Audit write time (p50 / p99)',
            unit: 's',
            width: 6,
            queries: [0.5, 0.99].map((q) => prom(quantile(q, 'audit_write_duration_seconds', [], ['job']), `${percentile(q)} {{job}}`)),
          }),
          timeseriesPanel({
            title: 'Chain appends retried (another writer moved first)',
            unit: 'ops',
            width: 6,
            thresholds: steps('green', [1, 'orange']),
            queries: [prom(sumRate('audit_append_retries_total', [], ['job']), '{{job}}')],
          }),
        ],
      },
      {
        title: 'Traces of blocked and denied requests (Tempo; only traces tail sampling kept)',
        panels: [
          tracesTable('Safety blocks', '{ name = "safety.moderate" && span.parley.safety.action = "block" }'),
          tracesTable('Authentication failures', '{ span.parley.auth.outcome = "failure" }'),
          tracesTable('Role denials (403)', '{ span.parley.authz.outcome = "denied" }'),
          tracesTable('Rate-limit and budget rejections', '{ span.parley.ratelimit.outcome = "rejected" || span.parley.budget.outcome = "rejected" }'),
        ],
      },
    ],
  });
}
