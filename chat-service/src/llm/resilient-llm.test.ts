import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LlmUnavailableError, ValidationError, createLogger, createMetrics, createBreakers } from '@parley/platform';
import { startLlmSim, type LlmSim } from '@parley/llm-sim';
import { captureLogs, installInMemoryTracing, type InMemoryTracing } from '@parley/testkit';
import type { LlmChunk, LlmRequest } from '../domain/ports.js';
import { createResilientLlm } from './create-llm.js';
import { isUpstreamFailure, type RetryPolicy } from './resilient-llm.js';

let tracing: InMemoryTracing;
let sim: LlmSim;
let backup: LlmSim;

beforeAll(async () => {
  tracing = installInMemoryTracing();
  [sim, backup] = await Promise.all([startLlmSim({ env: { LLM_SIM_MODELS: 'gpt-4o-mini,gpt-4.1-mini' } }), startLlmSim()]);
});
afterAll(async () => {
  await Promise.all([sim.close(), backup.close()]);
  tracing.uninstall();
});
beforeEach(() => {
  tracing.exporter.reset();
  sim.sim.reset();
  backup.sim.reset();
});

const POLICY: RetryPolicy = {
  maxAttempts: 3,
  backoffBaseMs: 20,
  backoffMaxMs: 100,
  maxRetryAfterMs: 1_000,
  attemptTimeoutMs: 1_000,
  deadlineMs: 3_000,
  streamIdleTimeoutMs: 300,
};

function build(options: { policy?: Partial<RetryPolicy>; fallback?: boolean; volumeThreshold?: number; resetTimeoutMs?: number } = {}) {
  const logs = captureLogs();
  const logger = createLogger({ service: 'chat-service', destination: logs.stream });
  const metrics = createMetrics({ defaultMetrics: false });
  const breakers = createBreakers({
    options: { errorThresholdPercentage: 50, volumeThreshold: options.volumeThreshold ?? 4, resetTimeoutMs: options.resetTimeoutMs ?? 400, rollingWindowMs: 10_000 },
    registry: metrics.registry,
    logger,
    isFailure: isUpstreamFailure,
  });
  const llm = createResilientLlm(
    {
      primary: { provider: 'llm-sim', baseURL: sim.baseURL, apiKey: 'k' },
      models: ['gpt-4o-mini'],
      fallbacks: options.fallback ? [{ provider: 'backup-sim', baseURL: backup.baseURL, apiKey: 'k', model: 'llm-sim-1' }] : [],
      policy: { ...POLICY, ...options.policy },
      prices: { 'gpt-4o-mini': { input_usd_per_mtok: 1_000_000, output_usd_per_mtok: 2_000_000 } },
      defaultPrice: { input_usd_per_mtok: 0, output_usd_per_mtok: 0 },
      captureContent: false,
    },
    { registry: metrics.registry, logger, breakers },
  );
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const found = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
    const values = (found?.values ?? []) as { value: number; labels: Record<string, string | number>; metricName?: string }[];
    return values
      .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
      .filter((v) => v.metricName === undefined || v.metricName === name || v.metricName.endsWith('_count'))
      .reduce((sum, v) => sum + v.value, 0);
  };
  /** The trace ids of a histogram's exemplars, as an OpenMetrics scrape shows them. */
  const exemplarTraceIds = async (name: string) =>
    new Set([...(await metrics.registry.getSingleMetricAsString(name)).matchAll(/^\w+_bucket\{.*\} \d+ # \{trace_id="([\da-f]{32})"\}/gm)].map((m) => m[1]));
  return { llm, breakers, logs, metric, exemplarTraceIds };
}

const request = (content: string, extra: Partial<LlmRequest> = {}): LlmRequest => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content }],
  maxTokens: 100,
  temperature: 0,
  ...extra,
});
const signal = () => new AbortController().signal;
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e);
/** Spans export asynchronously: flush first. */
async function chatSpans(): Promise<ReadableSpan[]> {
  await tracing.flush();
  return tracing.exporter.getFinishedSpans().filter((s) => s.name.startsWith('chat '));
}

async function drain(chunks: AsyncIterable<LlmChunk>): Promise<LlmChunk[]> {
  const out: LlmChunk[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

describe('the retry loop', () => {
  it('retries a 503 with backoff, succeeds, and shows every attempt as a span event and a metric', async () => {
    const { llm, metric, exemplarTraceIds } = build();
    const result = await llm.complete(request('Hi [[sim:fault=503;times=2;retry_after_ms=30]]'), signal());
    expect(result.text.length).toBeGreaterThan(0);
    expect(sim.sim.stats().requests_total).toBe(3);
    const [span] = await chatSpans();
    expect(span?.name).toBe('chat gpt-4o-mini');
    expect(span?.kind).toBe(2); // CLIENT
    expect(span?.events.filter((e) => e.name === 'retry').map((e) => e.attributes?.['error.type'])).toEqual(['503', '503']);
    expect(span?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'llm-sim',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': result.usage.input_tokens,
      'gen_ai.usage.output_tokens': result.usage.output_tokens,
    });
    expect(JSON.stringify(span?.attributes)).not.toContain('Hi');
    expect(JSON.stringify(span?.events)).not.toContain('Hi');
    expect(await metric('parley_llm_retries_total', { error_type: '503' })).toBe(2);
    // Priced from the table: 1 $/token in, 2 $/token out for this model in the test.
    expect(result.costUsd).toBeCloseTo(result.usage.input_tokens + 2 * result.usage.output_tokens);
    expect(await metric('parley_llm_cost_usd_total')).toBeCloseTo(result.costUsd);
    expect(await metric('gen_ai_client_token_usage', { gen_ai_token_type: 'output' })).toBe(1);
    // The duration links to the call's trace.
    expect(await exemplarTraceIds('gen_ai_client_operation_duration_seconds')).toEqual(new Set([span?.spanContext().traceId]));
  });

  it('honours retry-after-ms: the retry waits at least that long', async () => {
    const { llm } = build();
    const started = performance.now();
    await llm.complete(request('Hi [[sim:fault=429;times=1;retry_after_ms=300]]'), signal());
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('never retries a 400: one call, a ValidationError, the breaker untouched', async () => {
    const { llm, breakers } = build();
    const err = await failure(llm.complete(request('Hi [[sim:fault=status=400]]'), signal()));
    expect(err).toBeInstanceOf(ValidationError);
    expect(sim.sim.stats().requests_total).toBe(1);
    expect(breakers.snapshot()[0]?.window.failures).toBe(0);
  });

  it('gives up after the attempts with a 503 carrying Retry-After, and says so in the span', async () => {
    const { llm, logs } = build();
    const err = await failure(llm.complete(request('Hi [[sim:fault=500]]'), signal()));
    expect(err).toBeInstanceOf(LlmUnavailableError);
    expect((err as LlmUnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(sim.sim.stats().requests_total).toBe(3);
    const [span] = await chatSpans();
    expect(span?.status.code).toBe(2); // ERROR
    expect(span?.attributes['error.type']).toBe('500');
    expect(logs.lines.find((l) => l['msg'] === 'language model call failed')).toMatchObject({ error_type: '500', attempt: 3 });
  });

  it('does not wait for a Retry-After beyond its limit: it gives up at once', async () => {
    const { llm } = build();
    const started = performance.now();
    const err = await failure(llm.complete(request('Hi [[sim:fault=429;retry_after_ms=60000]]'), signal()));
    expect(err).toBeInstanceOf(LlmUnavailableError);
    expect((err as LlmUnavailableError).retryAfterSeconds).toBe(60);
    expect(performance.now() - started).toBeLessThan(500);
    expect(sim.sim.stats().requests_total).toBe(1);
  });

  it('times an attempt out, retries, and never outlives the deadline', async () => {
    const { llm } = build({ policy: { attemptTimeoutMs: 200, deadlineMs: 700 } });
    const started = performance.now();
    const err = await failure(llm.complete(request('Hi [[sim:fault=timeout]]'), signal()));
    const took = performance.now() - started;
    expect(err).toBeInstanceOf(LlmUnavailableError);
    expect(took).toBeLessThan(900);
    expect(sim.sim.stats().requests_total).toBeGreaterThanOrEqual(2);
    // Every timed-out attempt was cancelled at llm-sim: nothing is left running there.
    await expect.poll(() => sim.sim.stats().in_flight).toBe(0);
  });

  it('stops retrying when the caller goes away, and llm-sim sees the cancellation', async () => {
    const { llm } = build({ policy: { attemptTimeoutMs: 2_000 } });
    const controller = new AbortController();
    const pending = failure(llm.complete(request('Hi [[sim:fault=timeout]]'), controller.signal));
    await expect.poll(() => sim.sim.stats().in_flight).toBe(1);
    controller.abort(new Error('client disconnected'));
    expect(await pending).toBeInstanceOf(Error);
    await expect.poll(() => sim.sim.stats().cancellations).toBe(1);
    expect(sim.sim.stats().requests_total).toBe(1);
  });
});

describe('fallbacks', () => {
  it('hands the call to the next model when the first fails, and reports who answered', async () => {
    const { llm, metric } = build({ fallback: true });
    sim.sim.configure({ fail_next: { count: 3, fault: '503;retry_after_ms=10' } });
    const result = await llm.complete(request('Hi'), signal());
    expect(result).toMatchObject({ model: 'llm-sim-1', fallback: true, costUsd: 0 });
    expect(backup.sim.stats().requests_total).toBe(1);
    expect((await chatSpans()).map((s) => s.name)).toEqual(['chat gpt-4o-mini', 'chat llm-sim-1']);
    expect(await metric('parley_llm_fallbacks_total', { from_model: 'gpt-4o-mini', to_model: 'llm-sim-1', reason: '503' })).toBe(1);
  });

  it('does not fall back on a 400: every model would refuse it', async () => {
    const { llm } = build({ fallback: true });
    expect(await failure(llm.complete(request('Hi [[sim:fault=status=400]]'), signal()))).toBeInstanceOf(ValidationError);
    expect(backup.sim.stats().requests_total).toBe(0);
  });
});

describe('the breaker', () => {
  it('opens after the minimum volume, sheds calls fast with 503, half-opens and closes again', async () => {
    const { llm, breakers, metric, logs } = build({ volumeThreshold: 4, resetTimeoutMs: 400, policy: { maxAttempts: 1 } });
    sim.sim.configure({ fail_next: { count: 4, fault: '500' } });
    for (let i = 0; i < 4; i++) await failure(llm.complete(request(`q${i}`), signal()));
    expect(breakers.snapshot()[0]).toMatchObject({ name: 'llm:llm-sim/gpt-4o-mini', state: 'open' });
    expect(await metric('parley_circuit_breaker_state', { breaker: 'llm:llm-sim/gpt-4o-mini', state: 'open' })).toBe(1);
    expect(logs.lines.some((l) => l['msg'] === 'circuit breaker opened')).toBe(true);

    // Open: shed at once, without reaching llm-sim.
    const before = sim.sim.stats().requests_total;
    const started = performance.now();
    const shed = await failure(llm.complete(request('shed me'), signal()));
    expect(performance.now() - started).toBeLessThan(50);
    expect(shed).toBeInstanceOf(LlmUnavailableError);
    expect((shed as LlmUnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(sim.sim.stats().requests_total).toBe(before);

    // After the reset timeout one trial call goes through; it succeeds and closes the breaker.
    await expect.poll(() => breakers.snapshot()[0]?.state, { timeout: 2_000 }).toBe('half_open');
    await llm.complete(request('trial'), signal());
    expect(breakers.snapshot()[0]?.state).toBe('closed');
    expect(await metric('parley_circuit_breaker_transitions_total', { state: 'half_open' })).toBe(1);
    expect(await metric('parley_circuit_breaker_transitions_total', { state: 'closed' })).toBe(1);
  });

  it('counts a stream that breaks after its first chunk against the model', async () => {
    const { llm, breakers } = build({ volumeThreshold: 100 });
    const chunks = await llm.stream(request('Story [[sim:fault=cut_after=2]]'), signal());
    expect(await failure(drain(chunks))).toBeInstanceOf(LlmUnavailableError);
    await expect.poll(() => breakers.snapshot()[0]?.window.failures).toBe(1);
  });
});

describe('streams', () => {
  it('names the answering model first, adds the cost to the usage, and records time to first chunk', async () => {
    const { llm, metric, exemplarTraceIds } = build();
    const chunks = await drain(await llm.stream(request('Hello'), signal()));
    expect(chunks[0]).toEqual({ type: 'response', model: 'gpt-4o-mini', fallback: false });
    const usage = chunks.find((c) => c.type === 'usage');
    expect(usage).toMatchObject({ type: 'usage', costUsd: expect.any(Number) });
    const { input_tokens: input, output_tokens: output } = (usage as { usage: { input_tokens: number; output_tokens: number } }).usage;
    expect((usage as { costUsd: number }).costUsd).toBeCloseTo(input * 1 + output * 2);
    expect(await metric('gen_ai_client_operation_time_to_first_chunk_seconds')).toBe(1);
    expect(await metric('parley_llm_active_streams')).toBe(0);
    const [span] = await chatSpans();
    expect(span?.attributes['gen_ai.request.stream']).toBe(true);
    // Both latencies carry the call's trace id as their exemplar.
    const traceId = span?.spanContext().traceId;
    expect(traceId).toMatch(/^[\da-f]{32}$/);
    expect(await exemplarTraceIds('gen_ai_client_operation_time_to_first_chunk_seconds')).toEqual(new Set([traceId]));
    expect(await exemplarTraceIds('gen_ai_client_operation_duration_seconds')).toEqual(new Set([traceId]));
  });

  it('retries before the first chunk: a 503 on opening is invisible to the reader', async () => {
    const { llm } = build();
    const chunks = await drain(await llm.stream(request('Hi [[sim:fault=503;times=1;retry_after_ms=20]]'), signal()));
    expect(chunks.some((c) => c.type === 'text')).toBe(true);
    expect(sim.sim.stats().requests_total).toBe(2);
  });

  it('ends a stalled stream with an error after the idle limit and cancels it at llm-sim', async () => {
    const { llm, metric } = build({ policy: { streamIdleTimeoutMs: 200 } });
    const chunks = await llm.stream(request('Story [[sim:fault=stall_after=2]]'), signal());
    const started = performance.now();
    expect(await failure(drain(chunks))).toBeInstanceOf(LlmUnavailableError);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await metric('parley_llm_stream_aborts_total', { reason: 'stalled' })).toBe(1);
    await expect.poll(() => sim.sim.stats().cancellations).toBe(1);
  });

  it('aborts the upstream stream when the reader stops early (a safety block)', async () => {
    const { llm, metric } = build();
    const chunks = await llm.stream(request('Long story [[sim:reply_tokens=200]] [[sim:tokens_per_second=50]]'), signal());
    for await (const chunk of chunks) if (chunk.type === 'text') break;
    expect(await metric('parley_llm_stream_aborts_total', { reason: 'stopped' })).toBe(1);
    await expect.poll(() => sim.sim.stats().cancellations).toBe(1);
    expect(await metric('parley_llm_active_streams')).toBe(0);
  });

  it('ends a stream at the request deadline with an error, never a hang', async () => {
    const { llm, metric } = build({ policy: { deadlineMs: 400, streamIdleTimeoutMs: 5_000 } });
    const chunks = await llm.stream(request('Long story [[sim:reply_tokens=500]] [[sim:tokens_per_second=20]]'), signal());
    const started = performance.now();
    expect(await failure(drain(chunks))).toBeInstanceOf(LlmUnavailableError);
    expect(performance.now() - started).toBeLessThan(700);
    expect(await metric('parley_llm_stream_aborts_total', { reason: 'deadline' })).toBe(1);
  });
});
