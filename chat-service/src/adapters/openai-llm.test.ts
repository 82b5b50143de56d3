import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmSim, type LlmSim } from '@parley/llm-sim';
import type { LlmChunk, LlmRequest } from '../domain/ports.js';
import { LlmCallError } from '../llm/llm-call-error.js';
import { createOpenAiLlm } from './openai-llm.js';

let sim: LlmSim;
beforeAll(async () => {
  sim = await startLlmSim();
});
afterAll(async () => {
  await sim.close();
});

const request = (content: string, maxTokens = 200): LlmRequest => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], maxTokens, temperature: 0 });
const llm = (timeoutMs = 5_000) => createOpenAiLlm({ apiKey: 'test', baseURL: sim.baseURL, timeoutMs });
const signal = () => new AbortController().signal;

async function drain(chunks: AsyncIterable<LlmChunk>): Promise<LlmChunk[]> {
  const out: LlmChunk[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

describe('the openai SDK adapter against llm-sim', () => {
  it('completes with text, finish reason and usage', async () => {
    const result = await llm().complete(request('Hello'), signal());
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.finishReason).toBe('stop');
    expect(result.usage.output_tokens).toBeGreaterThan(0);
  });

  it('streams text chunks, a finish reason and usage that add up to the same reply', async () => {
    const whole = await llm().complete(request('Same prompt'), signal());
    const chunks = await drain(await llm().stream(request('Same prompt'), signal()));
    const text = chunks.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('');
    expect(text).toBe(whole.text);
    expect(chunks).toContainEqual({ type: 'finish', finishReason: 'stop' });
    expect(chunks).toContainEqual({ type: 'usage', usage: whole.usage });
    expect(whole.responseModel).toBe('gpt-4o-mini');
  });

  it('reports a cut by max tokens as finish reason length', async () => {
    expect((await llm().complete(request('Long answer please', 3), signal())).finishReason).toBe('length');
  });

  const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e);

  it('reports a 429 as a retryable provider failure carrying retry-after-ms', async () => {
    const err = await failure(llm().complete(request('Hi [[sim:fault=429;retry_after_ms=1500]]'), signal()));
    expect(err).toBeInstanceOf(LlmCallError);
    expect(err).toMatchObject({ kind: 'http', status: 429, retryAfterMs: 1500, retryable: true, isProviderFailure: true, errorType: '429' });
  });

  it('reports a 400 as the request\'s fault: not retried, not held against the provider', async () => {
    const err = await failure(llm().complete(request('Hi [[sim:fault=status=400]]'), signal()));
    expect(err).toMatchObject({ kind: 'http', status: 400, retryable: false, isProviderFailure: false });
  });

  it('reports an unreachable provider as a retryable connection failure', async () => {
    const down = createOpenAiLlm({ apiKey: 'x', baseURL: 'http://127.0.0.1:9/v1', timeoutMs: 2_000 });
    expect(await failure(down.complete(request('Hi'), signal()))).toMatchObject({ kind: 'connection', retryable: true, isProviderFailure: true });
  });

  it('reports a provider that never answers as a timeout after the SDK timeout', async () => {
    expect(await failure(llm(200).complete(request('Hi [[sim:fault=timeout]]'), signal()))).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('throws an interrupted failure from the iterator when a stream is cut mid-way', async () => {
    const chunks = await llm().stream(request('Story [[sim:fault=cut_after=3]]'), signal());
    expect(await failure(drain(chunks))).toMatchObject({ kind: 'interrupted', isProviderFailure: true });
  });

  it('names the answering model first in a stream', async () => {
    const chunks = await drain(await llm().stream(request('Hello'), signal()));
    expect(chunks[0]).toMatchObject({ type: 'response', model: 'gpt-4o-mini' });
  });

  it('aborts the upstream request when the caller aborts, and llm-sim sees the cancellation', async () => {
    const before = sim.sim.stats().cancellations;
    const controller = new AbortController();
    const pending = llm().complete(request('Hi [[sim:fault=timeout]]'), controller.signal);
    await expect.poll(() => sim.sim.stats().in_flight, { timeout: 3_000 }).toBe(1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await expect.poll(() => sim.sim.stats().cancellations, { timeout: 3_000 }).toBe(before + 1);
  });
});
