import { SpanKind, SpanStatusCode, isSpanContextValid, trace, type Span } from '@opentelemetry/api';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { ExemplarLabel, Metrics } from '@parley/platform';
import type { FinishReason, LlmRequest, Usage } from '../domain/ports.js';

/** Buckets the GenAI semantic conventions recommend for these instruments. */
export const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];
const CHUNK_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5];

export interface RouteLabels {
  provider: string;
  model: string;
}

type GenAiLabel = 'gen_ai_operation_name' | 'gen_ai_provider_name' | 'gen_ai_request_model';

/** The exemplar of an observation made for the GenAI span: its trace id, when it has a valid one. */
function exemplar(span: Span): { exemplarLabels: Record<ExemplarLabel, string> } | Record<string, never> {
  const ctx = span.spanContext();
  return isSpanContextValid(ctx) ? { exemplarLabels: { trace_id: ctx.traceId } } : {};
}

/**
 * The LLM call's metrics and spans, named after the OpenTelemetry GenAI semantic conventions
 * (gen_ai.client.*), plus Parley's retry, fallback, stream and cost counters. Labels stay
 * bounded: provider and model come from configuration, never from users.
 */
export function createLlmTelemetry(registry: Metrics['registry'], options: { captureContent: boolean }) {
  const registers = [registry];
  const duration = new Histogram<GenAiLabel | 'gen_ai_response_model' | 'error_type' | ExemplarLabel>({
    name: 'gen_ai_client_operation_duration_seconds',
    help: 'GenAI operation duration (gen_ai.client.operation.duration), per call to one model, retries included.',
    labelNames: ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'gen_ai_response_model', 'error_type'],
    buckets: DURATION_BUCKETS,
    registers,
    enableExemplars: true,
  });
  const tokens = new Histogram<GenAiLabel | 'gen_ai_response_model' | 'gen_ai_token_type'>({
    name: 'gen_ai_client_token_usage',
    help: 'Input and output tokens per call (gen_ai.client.token.usage), as the provider reported them.',
    labelNames: ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'gen_ai_response_model', 'gen_ai_token_type'],
    buckets: TOKEN_BUCKETS,
    registers,
  });
  const firstChunk = new Histogram<GenAiLabel | ExemplarLabel>({
    name: 'gen_ai_client_operation_time_to_first_chunk_seconds',
    help: 'Streamed calls: time from sending the request to the first chunk (gen_ai.client.operation.time_to_first_chunk).',
    labelNames: ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model'],
    buckets: DURATION_BUCKETS,
    registers,
    enableExemplars: true,
  });
  const perChunk = new Histogram<GenAiLabel>({
    name: 'gen_ai_client_operation_time_per_output_chunk_seconds',
    help: 'Streamed calls: time between output chunks after the first (gen_ai.client.operation.time_per_output_chunk).',
    labelNames: ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model'],
    buckets: CHUNK_BUCKETS,
    registers,
  });
  const retries = new Counter<GenAiLabel | 'error_type'>({
    name: 'parley_llm_retries_total',
    help: 'Attempts retried after a retryable failure, by the failure (status code or kind).',
    labelNames: ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'error_type'],
    registers,
  });
  const fallbacks = new Counter<'from_model' | 'to_model' | 'reason'>({
    name: 'parley_llm_fallbacks_total',
    help: 'Calls handed to the next model of the fallback chain, by the reason the previous one gave up.',
    labelNames: ['from_model', 'to_model', 'reason'],
    registers,
  });
  const streamAborts = new Counter<'gen_ai_request_model' | 'reason'>({
    name: 'parley_llm_stream_aborts_total',
    help: 'Streams ended before the model finished, by reason: client (disconnected), stopped (the consumer stopped reading: a safety block or the reply ended early), stalled, interrupted, deadline.',
    labelNames: ['gen_ai_request_model', 'reason'],
    registers,
  });
  const activeStreams = new Gauge({
    name: 'parley_llm_active_streams',
    help: 'Model streams open right now.',
    registers,
  });
  const cost = new Counter<'gen_ai_provider_name' | 'gen_ai_request_model'>({
    name: 'parley_llm_cost_usd_total',
    help: 'Estimated spend in US dollars, from reported usage and the configured price table.',
    labelNames: ['gen_ai_provider_name', 'gen_ai_request_model'],
    registers,
  });

  const tracer = trace.getTracer('parley.chat-service');
  const base = (route: RouteLabels) => ({ gen_ai_operation_name: 'chat', gen_ai_provider_name: route.provider, gen_ai_request_model: route.model });

  return {
    /** A CLIENT span `chat {model}` for the calls to one model (its retries are events on it). */
    startCall(route: RouteLabels & { serverAddress?: string | undefined; serverPort?: number | undefined }, request: LlmRequest, stream: boolean): Span {
      const span = tracer.startSpan(`chat ${route.model}`, {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': route.provider,
          'gen_ai.request.model': route.model,
          'gen_ai.request.max_tokens': request.maxTokens,
          'gen_ai.request.temperature': request.temperature,
          'gen_ai.request.stream': stream,
          ...(route.serverAddress ? { 'server.address': route.serverAddress } : {}),
          ...(route.serverPort ? { 'server.port': route.serverPort } : {}),
        },
      });
      if (options.captureContent) span.setAttribute('gen_ai.input.messages', JSON.stringify(request.messages));
      return span;
    },
    retry(span: Span, route: RouteLabels, attempt: number, errorType: string, delayMs: number): void {
      span.addEvent('retry', { 'retry.attempt': attempt, 'error.type': errorType, 'retry.delay_ms': Math.round(delayMs) });
      retries.inc({ ...base(route), error_type: errorType });
    },
    /** One failed attempt that is not retried on this model (the event says why the loop moved on). */
    attemptFailed(span: Span, attempt: number, errorType: string, next: 'fallback' | 'fail'): void {
      span.addEvent('attempt_failed', { 'retry.attempt': attempt, 'error.type': errorType, 'parley.next': next });
    },
    fallback(from: RouteLabels, to: RouteLabels, reason: string): void {
      fallbacks.inc({ from_model: from.model, to_model: to.model, reason });
    },
    firstChunk(span: Span, route: RouteLabels, seconds: number): void {
      firstChunk.observe({ labels: base(route), value: seconds, ...exemplar(span) });
    },
    outputChunk(route: RouteLabels, seconds: number): void {
      perChunk.observe(base(route), seconds);
    },
    streamOpened(): void {
      activeStreams.inc();
    },
    streamClosed(route: RouteLabels, abortReason: string | undefined): void {
      activeStreams.dec();
      if (abortReason) streamAborts.inc({ gen_ai_request_model: route.model, reason: abortReason });
    },
    /** Ends a successful call: response attributes, token and cost metrics, duration. */
    succeeded(span: Span, route: RouteLabels, outcome: { responseModel?: string | undefined; responseId?: string | undefined; finishReasons: FinishReason[]; usage?: Usage | undefined; costUsd?: number | undefined; text?: string | undefined; seconds: number; cancelled?: boolean }): void {
      const responseModel = outcome.responseModel ?? route.model;
      span.setAttributes({
        'gen_ai.response.model': responseModel,
        'gen_ai.response.finish_reasons': outcome.finishReasons,
        ...(outcome.responseId ? { 'gen_ai.response.id': outcome.responseId } : {}),
        ...(outcome.usage ? { 'gen_ai.usage.input_tokens': outcome.usage.input_tokens, 'gen_ai.usage.output_tokens': outcome.usage.output_tokens } : {}),
        ...(outcome.cancelled ? { 'parley.cancelled': true } : {}),
      });
      if (options.captureContent && outcome.text !== undefined) span.setAttribute('gen_ai.output.messages', JSON.stringify([{ role: 'assistant', content: outcome.text }]));
      span.end();
      const labels = { ...base(route), gen_ai_response_model: responseModel };
      duration.observe({ labels: { ...labels, error_type: '' }, value: outcome.seconds, ...exemplar(span) });
      if (outcome.usage) {
        tokens.observe({ ...labels, gen_ai_token_type: 'input' }, outcome.usage.input_tokens);
        tokens.observe({ ...labels, gen_ai_token_type: 'output' }, outcome.usage.output_tokens);
      }
      if (outcome.costUsd) cost.inc({ gen_ai_provider_name: route.provider, gen_ai_request_model: route.model }, outcome.costUsd);
    },
    failed(span: Span, route: RouteLabels, errorType: string, message: string, seconds: number): void {
      span.setAttribute('error.type', errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message });
      span.end();
      duration.observe({ labels: { ...base(route), gen_ai_response_model: '', error_type: errorType }, value: seconds, ...exemplar(span) });
    },
  };
}

export type LlmTelemetry = ReturnType<typeof createLlmTelemetry>;
