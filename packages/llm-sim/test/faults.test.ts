import OpenAI, { type APIError, type RateLimitError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import { eventually, fetchStats, openaiFor, startSim, USER } from './helpers.js';

const request = { model: 'gpt-4o-mini', messages: USER('hello') };

describe('fault injection per request', () => {
  it('answers 429 with retry-after and retry-after-ms from the x-llm-sim-fault header, as the SDK sees it', async () => {
    const sim = await startSim();
    const error = await openaiFor(sim)
      .chat.completions.create(request, { headers: { 'x-llm-sim-fault': 'status=429;retry_after_ms=1500' } })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const rateLimited = error as RateLimitError;
    expect(rateLimited.status).toBe(429);
    expect(rateLimited.headers.get('retry-after-ms')).toBe('1500');
    expect(rateLimited.headers.get('retry-after')).toBe('2');
    expect(rateLimited.code).toBe('rate_limit_exceeded');
    expect(rateLimited.requestID).toMatch(/^req_/);
    expect(rateLimited.error).toMatchObject({ type: 'requests', param: null });
    expect(await fetchStats(sim)).toMatchObject({ faults_injected: { http_429: 1 }, outcomes: { fault: 1 } });
  });

  it('takes the fault from a [[sim:fault=...]] directive in the last user message', async () => {
    const sim = await startSim();
    const client = openaiFor(sim);
    const error = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: USER('hello [[sim:fault=503;retry_after=3]]') })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 503, code: 'service_unavailable' });
    expect((error as APIError).headers?.get('retry-after')).toBe('3');
    expect((error as APIError).headers?.get('retry-after-ms')).toBeNull();

    // A directive in an earlier message does not fire again.
    await expect(
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'user', content: 'hello [[sim:fault=500]]' },
          { role: 'assistant', content: 'sorry' },
          { role: 'user', content: 'again' },
        ],
      }),
    ).resolves.toMatchObject({ object: 'chat.completion' });
  });

  it('fails only the first N attempts of a conversation with times=N, so a retry succeeds', async () => {
    const sim = await startSim();
    const client = openaiFor(sim);
    const body = { model: 'gpt-4o-mini', messages: USER('retry me [[sim:fault=429;retry_after_ms=10;times=2]]') };
    await expect(client.chat.completions.create(body)).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await expect(client.chat.completions.create(body)).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await expect(client.chat.completions.create(body)).resolves.toMatchObject({ object: 'chat.completion' });
  });

  it('answers a 400-style fault as a BadRequestError', async () => {
    const sim = await startSim();
    const error = await openaiFor(sim)
      .chat.completions.create(request, { headers: { 'x-llm-sim-fault': '400' } })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('resets the connection before any response: an APIConnectionError in the SDK', async () => {
    const sim = await startSim();
    const error = await openaiFor(sim)
      .chat.completions.create(request, { headers: { 'x-llm-sim-fault': 'reset' } })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    // A TCP reset, not a graceful close.
    expect((error as { cause?: { cause?: { code?: string } } }).cause?.cause?.code).toBe('ECONNRESET');
    const stats = await fetchStats(sim);
    expect(stats).toMatchObject({ faults_injected: { reset: 1 }, outcomes: { fault: 1 }, cancellations: 0 });
  });

  it('cuts a stream after N chunks: the SDK stream fails after N content deltas, not a clean end', async () => {
    const sim = await startSim();
    const stream = await openaiFor(sim).chat.completions.create(
      { ...request, stream: true },
      { headers: { 'x-llm-sim-fault': 'cut_after=3' } },
    );
    const received: ChatCompletionChunk[] = [];
    const error = await (async () => {
      for await (const chunk of stream) received.push(chunk);
    })().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ message: 'terminated' });
    expect(received.filter((c) => c.choices[0]?.delta.content)).toHaveLength(3);
    expect(received.some((c) => c.choices[0]?.finish_reason)).toBe(false);
    await eventually(async () => (await fetchStats(sim)).in_flight === 0);
    expect(await fetchStats(sim)).toMatchObject({
      streams_started: 1,
      streams_completed: 0,
      faults_injected: { cut: 1 },
      cancellations: 0,
    });
  });

  it('cuts a non-streamed answer mid-body: the SDK reports a connection error', async () => {
    const sim = await startSim();
    const error = await openaiFor(sim)
      .chat.completions.create(request, { headers: { 'x-llm-sim-fault': 'cut' } })
      .catch((err: unknown) => err);
    // undici's "terminated": the body ended early, which no HTTP status explains.
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ message: 'terminated' });
    expect(await fetchStats(sim)).toMatchObject({ faults_injected: { cut: 1 }, cancellations: 0 });
  });

  it('stalls a stream after N chunks without closing it; the client giving up is a cancellation', async () => {
    const sim = await startSim();
    const controller = new AbortController();
    const stream = await openaiFor(sim).chat.completions.create(
      { ...request, stream: true },
      { headers: { 'x-llm-sim-fault': 'stall_after=2' }, signal: controller.signal },
    );
    let contentChunks = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) contentChunks += 1;
      if (contentChunks === 2) {
        // The simulator now holds the stream open with nothing more to send.
        await eventually(async () => (await fetchStats(sim)).in_flight === 1);
        controller.abort();
      }
    }
    expect(contentChunks).toBe(2);
    await eventually(async () => (await fetchStats(sim)).cancellations === 1);
    expect(await fetchStats(sim)).toMatchObject({ faults_injected: { stall: 1 }, in_flight: 0, streams_completed: 0 });
  });

  it('never answers with a timeout fault; the SDK times out and the simulator counts the cancellation', async () => {
    const sim = await startSim();
    const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'test', maxRetries: 0, timeout: 200 });
    const error = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: USER('wait for it [[sim:fault=timeout]]') })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    await eventually(async () => (await fetchStats(sim)).cancellations === 1);
    expect(await fetchStats(sim)).toMatchObject({ faults_injected: { timeout: 1 }, in_flight: 0 });
  });

  it('lets x-llm-sim-fault: none opt a request out of global faults', async () => {
    const sim = await startSim({ settings: { fault_rates: { '500': 100 } } });
    const client = openaiFor(sim);
    await expect(client.chat.completions.create(request)).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(
      client.chat.completions.create(request, { headers: { 'x-llm-sim-fault': 'none' } }),
    ).resolves.toMatchObject({ object: 'chat.completion' });
  });
});

describe('global fault injection through the admin API', () => {
  it('fails the next N requests with fail_next, then answers normally', async () => {
    const sim = await startSim();
    const put = await fetch(`${sim.url}/_sim/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fail_next: { count: 2, fault: '429;retry_after_ms=250' } }),
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ fail_next: { count: 2, fault: '429;retry_after_ms=250' } });
    const client = openaiFor(sim);
    for (let i = 0; i < 2; i += 1) {
      const error = await client.chat.completions.create(request).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect((error as RateLimitError).headers.get('retry-after-ms')).toBe('250');
      expect((error as RateLimitError).headers.get('retry-after')).toBe('1');
    }
    await expect(client.chat.completions.create(request)).resolves.toMatchObject({ object: 'chat.completion' });
    expect((await fetchStats(sim)).faults_injected).toEqual({ http_429: 2 });
  });

  it('injects configured error rates from a seeded PRNG: near the percentages, the same on every run', async () => {
    const run = async () => {
      const sim = await startSim({ settings: { seed: 2024 } });
      await fetch(`${sim.url}/_sim/config`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ fault_rates: { '429': 10, '500': 5 } }),
      });
      const client = openaiFor(sim);
      const outcomes: string[] = [];
      for (let i = 0; i < 200; i += 1) {
        const result = await client.chat.completions
          .create({ model: 'gpt-4o-mini', messages: USER(`request ${i}`) })
          .then(() => 'ok', (err: unknown) => String((err as APIError).status));
        outcomes.push(result);
      }
      const stats = await fetchStats(sim);
      await sim.close();
      return { outcomes, stats };
    };
    const first = await run();
    const count = (status: string) => first.outcomes.filter((o) => o === status).length;
    // 200 draws: 10% is 20 expected (binomial sd ~4.2), 5% is 10 (sd ~3.1).
    expect(count('429')).toBeGreaterThanOrEqual(10);
    expect(count('429')).toBeLessThanOrEqual(30);
    expect(count('500')).toBeGreaterThanOrEqual(3);
    expect(count('500')).toBeLessThanOrEqual(18);
    expect(count('ok')).toBe(200 - count('429') - count('500'));
    expect(first.stats.faults_injected).toEqual({ http_429: count('429'), http_500: count('500') });
    expect((await run()).outcomes).toEqual(first.outcomes);
  });
});
