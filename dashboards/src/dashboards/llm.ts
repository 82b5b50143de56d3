import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { breakerTimelinePanel, firstChunkPanel, llmDurationPanel, ttftPanel } from '../chat-panels.js';
import { createParleyDashboard } from '../parley-dashboard.js';
import { prom, statPanel, steps, timeseriesPanel } from '../panels.js';
import { quantile, sumIncrease, sumRate } from '../promql.js';
import { percentile } from '../service-panels.js';
import { labelValuesVariable } from '../variables.js';
import { DIRECTORY } from '../directory.js';

const MODEL = 'gen_ai_request_model=~"$model"';
const GEN_AI = [MODEL];
const TOKENS = 'gen_ai_client_token_usage';
const QUARTER = { width: 6 } as const;

export function llmDashboard(): dashboard.Dashboard {
  return createParleyDashboard({
    ...DIRECTORY.llm,
    variables: [labelValuesVariable('model', 'Model', 'gen_ai_client_operation_duration_seconds_count', 'gen_ai_request_model')],
    sections: [
      {
        title: 'Latency',
        panels: [
          llmDurationPanel([0.5, 0.95, 0.99], GEN_AI, QUARTER),
          firstChunkPanel([0.5, 0.95], GEN_AI, QUARTER),
          timeseriesPanel({
            title: 'Time between output chunks (p50 / p95)',
            unit: 's',
            ...QUARTER,
            queries: [0.5, 0.95].map((q) => prom(quantile(q, 'gen_ai_client_operation_time_per_output_chunk_seconds', GEN_AI, ['gen_ai_request_model']), `${percentile(q)} {{gen_ai_request_model}}`)),
          }),
          ttftPanel([0.5, 0.95], { title: 'Time to first text (p50 / p95)', ...QUARTER }),
        ],
      },
      {
        title: 'Calls and tokens',
        panels: [
          timeseriesPanel({
            title: 'Calls per second by outcome',
            description: 'One call = all attempts on one model (retries included); error_type says why a call failed.',
            unit: 'reqps',
            stack: true,
            ...QUARTER,
            queries: [
              prom(
                `label_replace(${sumRate('gen_ai_client_operation_duration_seconds_count', GEN_AI, ['gen_ai_request_model', 'error_type'])}, "error_type", "ok", "error_type", "")`,
                '{{gen_ai_request_model}} {{error_type}}',
              ),
            ],
          }),
          timeseriesPanel({
            title: 'Tokens per second',
            unit: 'short',
            stack: true,
            ...QUARTER,
            queries: [prom(sumRate(`${TOKENS}_sum`, GEN_AI, ['gen_ai_request_model', 'gen_ai_token_type']), '{{gen_ai_token_type}} {{gen_ai_request_model}}')],
          }),
          timeseriesPanel({
            title: 'Tokens per call (p50 / p95)',
            unit: 'short',
            ...QUARTER,
            queries: [0.5, 0.95].map((q) => prom(quantile(q, TOKENS, GEN_AI, ['gen_ai_token_type']), `${percentile(q)} {{gen_ai_token_type}}`)),
          }),
          timeseriesPanel({
            title: 'Feedback ratings per hour',
            unit: 'short',
            stack: true,
            bars: true,
            ...QUARTER,
            queries: [prom(`${sumRate('parley_feedback_total', [], ['rating'])} * 3600`, '{{rating}}')],
          }),
        ],
      },
      {
        title: 'Cost (estimated from reported usage and LLM_PRICES) and the daily cost budget',
        panels: [
          statPanel({ title: 'Spend in the time range', unit: 'currencyUSD', decimals: 4, queries: [prom(sumIncrease('parley_llm_cost_usd_total', GEN_AI), undefined, { instant: true })] }),
          statPanel({ title: 'Input tokens in the time range', unit: 'short', queries: [prom(sumIncrease(`${TOKENS}_sum`, [...GEN_AI, 'gen_ai_token_type="input"']), undefined, { instant: true })] }),
          statPanel({ title: 'Output tokens in the time range', unit: 'short', queries: [prom(sumIncrease(`${TOKENS}_sum`, [...GEN_AI, 'gen_ai_token_type="output"']), undefined, { instant: true })] }),
          statPanel({
            title: 'Daily cost budget used',
            unit: 'percentunit',
            decimals: 1,
            thresholds: steps('green', [0.8, 'orange'], [0.95, 'red']),
            queries: [prom('max(gateway_cost_budget_used_ratio)', undefined, { instant: true })],
          }),
          timeseriesPanel({
            title: 'Spend rate (US dollars per hour)',
            unit: 'currencyUSD',
            width: 12,
            stack: true,
            queries: [prom(`${sumRate('parley_llm_cost_usd_total', GEN_AI, ['gen_ai_provider_name', 'gen_ai_request_model'])} * 3600`, '{{gen_ai_provider_name}}/{{gen_ai_request_model}}')],
          }),
          timeseriesPanel({
            title: 'Budget reservations per second by policy and outcome',
            description: 'The gateway reserves tokens (per session, per API key) and cost (global) before a chat turn; rejected turns get 429 (tokens) or 503 (cost).',
            unit: 'reqps',
            width: 12,
            queries: [prom(sumRate('gateway_budget_decisions_total', [], ['policy', 'outcome']), '{{policy}} {{outcome}}')],
          }),
        ],
      },
      {
        title: 'Resilience: breakers, retries, fallbacks, streams',
        panels: [
          breakerTimelinePanel(['kind="llm"'], { title: 'LLM circuit breakers' }),
          timeseriesPanel({
            title: 'Retries per second',
            description: 'Attempts retried after a retryable failure (408/409/429/5xx, connection errors), by what failed.',
            unit: 'ops',
            ...QUARTER,
            queries: [prom(sumRate('parley_llm_retries_total', GEN_AI, ['gen_ai_request_model', 'error_type']), '{{gen_ai_request_model}} {{error_type}}')],
          }),
          timeseriesPanel({
            title: 'Fallbacks per second',
            description: 'Calls handed to the next model of the fallback chain, by why the previous one gave up.',
            unit: 'ops',
            ...QUARTER,
            queries: [prom(sumRate('parley_llm_fallbacks_total', [], ['from_model', 'to_model', 'reason']), '{{from_model}} → {{to_model}} ({{reason}})')],
          }),
          timeseriesPanel({
            title: 'Model streams ended early',
            description: 'client: disconnected; stopped: the consumer stopped reading (safety block, early end); stalled; interrupted; deadline.',
            unit: 'ops',
            ...QUARTER,
            queries: [prom(sumRate('parley_llm_stream_aborts_total', GEN_AI, ['reason']), '{{reason}}')],
          }),
          timeseriesPanel({ title: 'Model streams open', unit: 'short', ...QUARTER, queries: [prom('sum(parley_llm_active_streams)', 'open streams')] }),
        ],
      },
    ],
  });
}
