import type * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import type * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { prom, stateTimelinePanel, states, steps, timeseriesPanel, type PanelOptions } from './panels.js';
import { quantile, weightedStates, type Matchers } from './promql.js';
import { percentile } from './service-panels.js';

/** The TTFT SLO: 95% of streamed turns get their first text within this (a histogram bucket boundary). */
export const TTFT_TARGET_SECONDS = 2.56;

type Layout = Partial<PanelOptions>;

/** Quantiles of a chat-path histogram per `labels`, with exemplars, optionally against a target line. */
function chatLatencyPanel(histogram: string, quantiles: readonly number[], labels: readonly string[], legend: string, options: Layout & { target?: number; matchers?: Matchers }): timeseries.PanelBuilder {
  const { target, matchers = [], ...layout } = options;
  return timeseriesPanel({
    title: histogram,
    unit: 's',
    ...(target === undefined ? {} : { thresholds: steps('green', [target, 'red']) }),
    ...layout,
    queries: quantiles.map((q) => prom(quantile(q, histogram, matchers, labels), `${percentile(q)} ${legend}`, { exemplar: true })),
  });
}

/** What the user waits for on a streamed turn (the TTFT SLI), per API, against the 2.56 s target. */
export const ttftPanel = (quantiles: readonly number[], layout: Layout = {}): timeseries.PanelBuilder =>
  chatLatencyPanel('parley_chat_time_to_first_text_seconds', quantiles, ['api'], '{{api}}', {
    title: `Time to first text, streamed turns (${quantiles.map(percentile).join(' / ')}; SLO: 95% within ${TTFT_TARGET_SECONDS} s)`,
    description: 'chat-service, from the request to the first text released to the client: input safety check, every model tried and the first output safety window included.',
    target: TTFT_TARGET_SECONDS,
    ...layout,
  });

/** Duration of calls to the model (retries included) per model. */
export const llmDurationPanel = (quantiles: readonly number[], matchers: Matchers, layout: Layout = {}): timeseries.PanelBuilder =>
  chatLatencyPanel('gen_ai_client_operation_duration_seconds', quantiles, ['gen_ai_request_model'], '{{gen_ai_request_model}}', {
    title: `LLM call duration (${quantiles.map(percentile).join(' / ')})`,
    matchers,
    ...layout,
  });

/** Model's own share of TTFT: request sent to first chunk, per model. */
export const firstChunkPanel = (quantiles: readonly number[], matchers: Matchers, layout: Layout = {}): timeseries.PanelBuilder =>
  chatLatencyPanel('gen_ai_client_operation_time_to_first_chunk_seconds', quantiles, ['gen_ai_request_model'], '{{gen_ai_request_model}}', {
    title: `Model time to first chunk (${quantiles.map(percentile).join(' / ')})`,
    matchers,
    ...layout,
  });

/** One band per circuit breaker: closed, half open, open (parley_circuit_breaker_state is 1 for the current state). */
export function breakerTimelinePanel(matchers: Matchers, layout: Layout = {}): statetimeline.PanelBuilder {
  return stateTimelinePanel({
    title: 'Circuit breakers',
    description: 'An open breaker sheds calls to its upstream; it turns half open after BREAKER_RESET_TIMEOUT_MS and closes on a successful trial call.',
    width: 24,
    height: 6,
    ...layout,
    mappings: states({ '0': { text: 'closed', color: 'green' }, '1': { text: 'half open', color: 'yellow' }, '2': { text: 'open', color: 'red' } }),
    queries: [prom(weightedStates('parley_circuit_breaker_state', matchers, 'state', { half_open: 1, open: 2 }, ['job', 'kind', 'breaker']), '{{job}} {{breaker}}')],
  });
}
