import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type * as stat from '@grafana/grafana-foundation-sdk/stat';
import type * as table from '@grafana/grafana-foundation-sdk/table';
import { createParleyDashboard } from '../parley-dashboard.js';
import { KILL_SWITCH, logql, logsPanel, prom, statPanel, tablePanel, timeseriesPanel, traceql, transform } from '../panels.js';
import { sumIncrease } from '../promql.js';
import { listVariable, searchVariable } from '../variables.js';
import { DIRECTORY } from '../directory.js';

/**
 * The audit stream in Loki: every stored record is mirrored as one gateway log line
 * `{"msg":"audit","audit":{...}}`, which the collector tags parley.stream=audit (structured
 * metadata parley_stream, not an index label: it goes after the stream selector).
 */
const STREAM = '{service_name="gateway"} | parley_stream="audit" |= "$search"';
/** Record fields as labels; `audit_trace_id` because trace_id is already the line's structured metadata. */
const FIELDS: Record<string, string> = {
  type: 'audit.type',
  outcome: 'audit.outcome',
  reason: 'audit.reason',
  principal_kind: 'audit.principal_kind',
  principal: 'audit.principal',
  client_ip: 'audit.client_ip',
  audit_trace_id: 'audit.trace_id',
  details: 'audit.details',
};
const COLUMNS = ['type', 'outcome', 'reason', 'principal_kind', 'principal', 'client_ip', 'audit_trace_id'];
/** Outcomes of refusals: auth.failure is a failure, authz.denied and safety.blocked denied, limits rejected. */
const REFUSED = '| outcome=~"failure|denied|rejected"';
const TYPE = '| type=~"$type"';

const records = (fields: readonly string[]): string => `${STREAM} | json ${fields.map((f) => `${f}="${FIELDS[f]}"`).join(', ')}`;
const refusals = (fields: readonly string[]): string => `${records(['outcome', 'type', ...fields.filter((f) => f !== 'outcome' && f !== 'type')])} ${REFUSED} ${TYPE}`;
/** `sum by (labels) (count_over_time(<refusals>[range]))`. */
const countRefusals = (labels: readonly string[], range: string): string => `sum by (${labels.join(', ')}) (count_over_time(${refusals(labels)} [${range}]))`;

/** Log lines shown as a table of record fields (one row per record, newest first). */
function recordTable(title: string, expr: string, columns: readonly string[], height: number, width = 24): table.PanelBuilder {
  return tablePanel({
    title,
    width,
    height,
    sortBy: 'time',
    transformations: [
      transform.labelsToColumns(),
      transform.organize(Object.fromEntries([['Time', 'time'], ...columns.map((c) => [c, c === 'audit_trace_id' ? 'trace_id' : c])]), ['labels', 'Line', 'tsNs', 'id', 'labelTypes']),
    ],
    queries: [logql(`${expr} | keep ${columns.join(', ')}`, { maxLines: 1000 })],
  });
}

const rangeStat = (title: string, metric: string, matchers: string[]): stat.PanelBuilder =>
  statPanel({ title, unit: 'short', width: 4, queries: [prom(sumIncrease(metric, matchers), undefined, { instant: true })] });

/** `auditTypes`: the platform's known audit event types (repo-facts.ts), offered by `$type`. */
export function auditDashboard(auditTypes: readonly string[]): dashboard.Dashboard {
  return createParleyDashboard({
    ...DIRECTORY.audit,
    variables: [
      listVariable('type', 'Audit type', auditTypes),
      searchVariable('search', 'Search', 'Text every shown audit line contains: a principal (session id, key id), a trace id, a reason. Empty: all.'),
    ],
    sections: [
      {
        title: 'Refusals in the time range (Prometheus counters: complete, independent of Loki)',
        panels: [
          rangeStat('Authentication failures', 'gateway_auth_failures_total', []),
          rangeStat('Rate-limit rejections', 'gateway_ratelimit_decisions_total', ['outcome="rejected"']),
          rangeStat('Budget rejections', 'gateway_budget_decisions_total', ['outcome="rejected"']),
          rangeStat('Safety blocks', 'safety_decisions_total', ['action="block"']),
          statPanel({
            title: 'Audit records written',
            description: 'outcome="error": a decision missing from the trail (alert ParleyAuditWriteFailures).',
            unit: 'short',
            width: 4,
            show: 'value_and_name',
            queries: [prom(sumIncrease('audit_writes_total', [], ['outcome']), '{{outcome}}', { instant: true })],
          }),
          statPanel({
            title: 'Kill switch now',
            unit: 'none',
            width: 4,
            mappings: KILL_SWITCH,
            queries: [prom('max(gateway_kill_switch_engaged)', undefined, { instant: true })],
          }),
        ],
      },
      {
        title: 'Who was denied, blocked or rate-limited, and why (audit records in Loki; filter with Audit type and Search)',
        panels: [
          recordTable('Refused requests, newest first', refusals(COLUMNS), COLUMNS, 10),
          timeseriesPanel({
            title: 'Refusals by type and reason',
            unit: 'short',
            width: 12,
            stack: true,
            bars: true,
            queries: [logql(countRefusals(['type', 'reason'], '$__auto'), { legend: '{{type}} {{reason}}' })],
          }),
          tablePanel({
            title: 'Refusals by type and reason in the time range',
            width: 12,
            sortBy: 'count',
            transformations: [transform.organize({ type: 'type', reason: 'reason', Value: 'count' }, ['Time'])],
            queries: [logql(`sort_desc(${countRefusals(['type', 'reason'], '$__range')})`, { instant: true })],
          }),
          tablePanel({
            title: 'Most refused principals in the time range',
            description: 'Pseudonymous ids: a session id, an API key id, or anonymous (a credential that could not be resolved). Search for one to see its records.',
            width: 12,
            height: 9,
            sortBy: 'count',
            transformations: [transform.organize({ principal_kind: 'kind', principal: 'principal', type: 'type', Value: 'count' }, ['Time'])],
            queries: [logql(`topk(20, ${countRefusals(['principal_kind', 'principal', 'type'], '$__range')})`, { instant: true })],
          }),
          recordTable(
            'Administrative actions (keys, kill switch, session export and erasure, feedback reads)',
            `${records(['type', 'outcome', 'principal_kind', 'principal', 'details'])} | type=~"apikey[.].+|killswitch[.]changed|session[.](erased|exported|revoked)|feedback[.]read"`,
            ['type', 'outcome', 'principal_kind', 'principal', 'details'],
            9,
            12,
          ),
        ],
      },
      {
        title: 'The whole audit stream',
        panels: [
          timeseriesPanel({
            title: 'Audit records by type and outcome',
            unit: 'short',
            width: 12,
            stack: true,
            bars: true,
            queries: [logql(`sum by (type, outcome) (count_over_time(${records(['type', 'outcome'])} ${TYPE} [$__auto]))`, { legend: '{{type}} {{outcome}}' })],
          }),
          logsPanel({
            title: 'Audit integrity: failed writes, chain verification, trims',
            width: 12,
            queries: [logql('{service_name="gateway"} |= "audit" | json msg="msg" | msg=~"audit write failed|audit event rejected|audit chain verified|audit chain verification failed|audit trimmed"')],
          }),
          logsPanel({
            title: 'Audit records (raw; a line with a trace_id links to its trace)',
            width: 24,
            height: 12,
            queries: [logql(`${STREAM} | json | audit_type=~"$type"`)],
          }),
          tablePanel({
            title: 'Traces of refused requests (Tempo; tail sampling keeps every 401, 403 and 429)',
            width: 24,
            queries: [traceql('{ span.parley.auth.outcome = "failure" || span.parley.authz.outcome = "denied" || span.parley.ratelimit.outcome = "rejected" || span.parley.budget.outcome = "rejected" }')],
          }),
        ],
      },
    ],
  });
}
