import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { percentile, startLoad, summarize, type RequestOutcome } from '@parley/testkit';
import { startStack, type Stack } from '../e2e/stack.js';
import { FULL, UNLIMITED_GATEWAY, crashes, createApiKey, metricValue, scrape, simCalls, simConfig, sleep } from './support.js';

// The provider answers every call with 429 and Retry-After for OUTAGE_MS, then recovers,
// under a steady load of completions (a quarter of them streamed). test/e2e/openai-api.test.ts
// has the same story for a handful of sequential calls; this one measures it under load.
const OUTAGE_MS = FULL ? 30_000 : 6_000;
const RESET_MS = FULL ? 10_000 : 3_000;
const RETRY_AFTER_MS = 1_000;
const DEADLINE_MS = 5_000;
const MAX_ATTEMPTS = 3;
const RATE = 20;
const BREAKER = 'llm:llm-sim/gpt-4o-mini';

let stack: Stack;
let apiKey: string;

beforeAll(async () => {
  stack = await startStack({
    'chat-service': {
      LLM_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      LLM_TIMEOUT_MS: '2000',
      LLM_DEADLINE_MS: String(DEADLINE_MS),
      BREAKER_VOLUME_THRESHOLD: '10',
      BREAKER_RESET_TIMEOUT_MS: String(RESET_MS),
    },
    gateway: UNLIMITED_GATEWAY,
  });
  apiKey = await createApiKey(stack.gateway.url);
});
afterAll(async () => {
  await stack?.stop();
});

/** A wall-clock log time on the performance.now() scale of the load driver. */
const onLoadClock = (iso: unknown) => Date.parse(String(iso)) - performance.timeOrigin;

describe('the model provider rate-limits everything for a while, under load', () => {
  it('honours Retry-After, opens the breaker, sheds fast with Retry-After, bounds every request by its deadline, and recovers within one reset period', async () => {
    const send = (i: number, signal: AbortSignal) =>
      fetch(`${stack.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', stream: i % 4 === 0, messages: [{ role: 'user', content: `outage ${i}` }] }),
        signal,
      });
    const load = startLoad({ ratePerSecond: RATE, durationMs: 2_000 + OUTAGE_MS + RESET_MS + 4_000, send, label: (i) => (i % 4 === 0 ? 'stream' : 'json'), timeoutMs: 30_000 });
    await sleep(2_000);
    const outageAt = performance.now();
    await simConfig(stack, { fault_rates: { '429': 100 }, retry_after_ms: RETRY_AFTER_MS });
    await sleep(OUTAGE_MS);
    const recoveredAt = performance.now();
    await simConfig(stack, { fault_rates: {} });
    const outcomes = await load.done;
    const all = summarize(outcomes);

    // Every request settled: typed, and none outlived chat-service's deadline (plus 1 s for the hops and a busy machine).
    expect(all.untyped, JSON.stringify(all.failures)).toEqual([]);
    expect(all.byEnding.no_response + all.byEnding.truncated).toBe(0);
    expect(all.latencyMs.max).toBeLessThan(DEADLINE_MS + 1_000);

    // Retries honour the header: attempts of one request (one trace at llm-sim) are at least Retry-After apart.
    const traced = (await simCalls(stack)).filter((l) => typeof l['trace_id'] === 'string');
    const byTrace = new Map<string, { start: number; status: number }[]>();
    for (const line of traced) {
      const start = onLoadClock(line['time']) - Number(line['latency_ms']);
      const calls = byTrace.get(line['trace_id'] as string) ?? [];
      calls.push({ start, status: Number(line['status']) });
      byTrace.set(line['trace_id'] as string, calls);
    }
    const gaps: number[] = [];
    for (const calls of byTrace.values()) {
      calls.sort((a, b) => a.start - b.start);
      expect(calls.length).toBeLessThanOrEqual(MAX_ATTEMPTS);
      for (let n = 1; n < calls.length; n++) if (calls[n - 1]?.status === 429) gaps.push((calls[n]?.start ?? 0) - (calls[n - 1]?.start ?? 0));
    }
    expect(gaps.length).toBeGreaterThan(0);
    // Log times have millisecond resolution: 5 ms of slack. And no longer than that (not a backoff of its own).
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(RETRY_AFTER_MS - 5);
    expect(Math.max(...gaps)).toBeLessThan(RETRY_AFTER_MS + 500);

    // The breaker opened and shed: 503s that never reached the provider, fast, each with Retry-After.
    const reached = new Set(byTrace.keys());
    const shed = outcomes.filter((o) => o.status === 503 && o.traceId !== undefined && !reached.has(o.traceId));
    expect(shed.length).toBeGreaterThan(RATE);
    expect(percentile(shed.map((o) => o.latencyMs), 99)).toBeLessThan(500);
    for (const o of shed) {
      expect(o.code).toBe('llm_unavailable');
      expect(Number(o.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(o.retryAfter)).toBeLessThanOrEqual(Math.ceil(RESET_MS / 1000));
    }
    const opened = stack.chat.logs().filter((l) => l['msg'] === 'circuit breaker opened' && l['breaker'] === BREAKER).map((l) => onLoadClock(l['time']));
    expect(opened.length).toBeGreaterThan(0);
    // Volume threshold 10 at 20 requests a second, each failing after up to two Retry-After waits.
    expect((opened[0] ?? Infinity) - outageAt).toBeLessThan(2 * RETRY_AFTER_MS + 1_500);

    // Recovery within one reset period of the provider coming back (plus 1.5 s: a trial call and the next request).
    const after = outcomes.filter((o) => o.startedAt >= recoveredAt);
    const firstOk = after.find((o) => o.ending === 'ok');
    expect(firstOk).toBeDefined();
    expect((firstOk as RequestOutcome).endedAt - recoveredAt).toBeLessThan(RESET_MS + 1_500);
    const settled = summarize(after.filter((o) => o.startedAt >= recoveredAt + RESET_MS + 1_500));
    expect(settled.total).toBeGreaterThan(RATE);
    expect(settled.availability).toBe(1);

    // The operator sees the story in chat-service's /metrics.
    const metrics = await scrape(stack.chat.url);
    const transitions = (state: string) => metricValue(metrics, 'parley_circuit_breaker_transitions_total', { breaker: BREAKER, state }) ?? 0;
    expect(transitions('open')).toBeGreaterThanOrEqual(1);
    expect(transitions('half_open')).toBeGreaterThanOrEqual(1);
    expect(transitions('closed')).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'parley_circuit_breaker_state', { breaker: BREAKER, state: 'closed' })).toBe(1);
    expect(metricValue(metrics, 'parley_llm_retries_total', { error_type: '429' })).toBeGreaterThan(0);
    expect(stack.all.flatMap(crashes)).toEqual([]);

    console.info(
      `[chaos] 429 outage ${OUTAGE_MS} ms at ${RATE}/s: ${all.total} requests, failures ${JSON.stringify(all.failures)}; ` +
        `retry gaps ${Math.round(Math.min(...gaps))}-${Math.round(Math.max(...gaps))} ms (${gaps.length}); breaker open after ${Math.round((opened[0] ?? NaN) - outageAt)} ms; ` +
        `shed ${shed.length}, p99 ${percentile(shed.map((o) => o.latencyMs), 99).toFixed(1)} ms; max latency ${Math.round(all.latencyMs.max)} ms; ` +
        `first ok ${Math.round((firstOk?.endedAt ?? NaN) - recoveredAt)} ms after recovery; transitions open ${transitions('open')}, half_open ${transitions('half_open')}, closed ${transitions('closed')}`,
    );
  });
});
