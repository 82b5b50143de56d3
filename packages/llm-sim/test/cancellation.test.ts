import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import { eventually, fetchStats, openaiFor, startSim, USER } from './helpers.js';

describe('client cancellations', () => {
  it('counts a stream the client aborts mid-way, in /_sim/stats and llm_sim_cancellations_total', async () => {
    // Slow enough that the client is certainly gone before the reply ends.
    const sim = await startSim({ settings: { tokens_per_second: 20, reply_tokens: 200 } });
    const controller = new AbortController();
    const stream = await openaiFor(sim).chat.completions.create(
      { model: 'gpt-4o-mini', messages: USER('a long answer, please'), stream: true },
      { signal: controller.signal },
    );
    const received: ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      received.push(chunk);
      if (received.length === 3) controller.abort();
    }
    expect(received).toHaveLength(3);

    await eventually(async () => (await fetchStats(sim)).cancellations === 1);
    const stats = await fetchStats(sim);
    expect(stats).toMatchObject({
      requests_total: 1,
      streams_started: 1,
      streams_completed: 0,
      in_flight: 0,
      outcomes: { cancelled: 1, completed: 0 },
    });
    // Tokens actually sent, not the whole reply.
    expect(stats.tokens.completion).toBeLessThan(200);
    const metrics = await (await fetch(`${sim.url}/metrics`)).text();
    expect(metrics).toMatch(/^llm_sim_cancellations_total 1$/m);
    expect(metrics).toMatch(/^llm_sim_requests_total\{outcome="cancelled"\} 1$/m);
  });

  it('counts a non-streamed request the client aborts while the simulator is still "thinking"', async () => {
    const sim = await startSim({ settings: { latency_ms: 60_000 } });
    const controller = new AbortController();
    const pending = openaiFor(sim)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: USER('slow') }, { signal: controller.signal })
      .catch((err: unknown) => err);
    await eventually(async () => (await fetchStats(sim)).in_flight === 1);
    controller.abort();
    expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
    // The 60 s timer is cancelled with the request: in_flight drops at once.
    await eventually(async () => {
      const stats = await fetchStats(sim);
      return stats.cancellations === 1 && stats.in_flight === 0;
    });
  });

  it('does not count requests that finish normally or that the simulator itself cut', async () => {
    const sim = await startSim();
    const client = openaiFor(sim);
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER('one') });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER('two [[sim:fault=reset]]') }).catch(() => undefined);
    await eventually(async () => (await fetchStats(sim)).in_flight === 0);
    expect((await fetchStats(sim)).cancellations).toBe(0);
  });
});
