import { Histogram } from 'prom-client';
import { activeTraceIds, type ExemplarLabel, type Metrics } from '@parley/platform';
import { DURATION_BUCKETS } from '../llm/llm-telemetry.js';

const NAME = 'parley_chat_time_to_first_text_seconds';

/** Which API streamed the turn: the UI's SSE events or the OpenAI-compatible chunks. */
export type StreamApi = 'ui' | 'openai';

export interface StreamMetrics {
  /** A streamed turn released its first text (`seconds` since the request reached chat-service); `traceId` becomes the exemplar. */
  firstText(api: StreamApi, seconds: number, traceId?: string): void;
}

/**
 * What a user waits for on a streamed turn: from the request reaching chat-service to the first
 * text released to the client, the input check, every model tried and the first output safety
 * window included. gen_ai_client_operation_time_to_first_chunk_seconds is the model's share
 * only. Buckets of the GenAI durations, so the SLO's 2.56 s is a boundary.
 */
export function createStreamMetrics(registry: Metrics['registry']): StreamMetrics {
  const histogram =
    (registry.getSingleMetric(NAME) as Histogram<'api' | ExemplarLabel> | undefined) ??
    new Histogram<'api' | ExemplarLabel>({
      name: NAME,
      help: 'Streamed chat turns: seconds from the request reaching chat-service to the first text released to the client (a checked delta, or the notice of a blocked turn), by API (ui, openai).',
      labelNames: ['api'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
      enableExemplars: true,
    });
  return {
    firstText: (api, seconds, traceId) => histogram.observe({ labels: { api }, value: seconds, ...(traceId ? { exemplarLabels: { trace_id: traceId } } : {}) }),
  };
}

/**
 * Observes the first text of one stream, once. Call it in the request's context: the trace id of
 * the active span (the request's) is taken now, as the text is released from stream callbacks.
 */
export function firstTextOnce(metrics: StreamMetrics | undefined, api: StreamApi, started: number): () => void {
  const traceId = activeTraceIds()?.trace_id;
  let seen = false;
  return () => {
    if (seen) return;
    seen = true;
    metrics?.firstText(api, (performance.now() - started) / 1000, traceId);
  };
}
