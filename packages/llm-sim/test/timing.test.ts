import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import { openaiFor, startSim, USER } from './helpers.js';

// Timing is the behaviour under test here, so only lower bounds are asserted.
describe('timing', () => {
  it('waits at least the per-request x-llm-sim-ttft-ms before the first content chunk', async () => {
    const sim = await startSim();
    const started = performance.now();
    const stream = await openaiFor(sim).chat.completions.create(
      { model: 'gpt-4o-mini', messages: USER('hi'), stream: true },
      { headers: { 'x-llm-sim-ttft-ms': '150' } },
    );
    let firstContentAt: number | undefined;
    for await (const chunk of stream) {
      if (firstContentAt === undefined && chunk.choices[0]?.delta.content) firstContentAt = performance.now();
    }
    expect((firstContentAt ?? 0) - started).toBeGreaterThanOrEqual(145);
  });

  it('paces tokens at tokens_per_second set globally through PUT /_sim/config', async () => {
    const sim = await startSim();
    await fetch(`${sim.url}/_sim/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tokens_per_second: 100, reply_tokens: 11 }),
    });
    const stream = await openaiFor(sim).chat.completions.create({ model: 'gpt-4o-mini', messages: USER('hi'), stream: true });
    const arrivals: number[] = [];
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      if (chunk.choices[0]?.delta.content) arrivals.push(performance.now());
    }
    expect(arrivals).toHaveLength(11);
    // 10 gaps at 100 tokens/s: at least ~100 ms from first to last token.
    expect((arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThanOrEqual(95);
  });

  it('delays a non-streamed answer by latency_ms, or by ttft + tokens / rate when latency_ms is null', async () => {
    const sim = await startSim();
    const client = openaiFor(sim);
    let started = performance.now();
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER('hi [[sim:latency_ms=120]]') });
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);

    await fetch(`${sim.url}/_sim/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ latency_ms: null, ttft_ms: 50, tokens_per_second: 200, reply_tokens: 20 }),
    });
    started = performance.now();
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER('hi') });
    // 50 ms + 20 tokens at 200/s = 150 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });
});
