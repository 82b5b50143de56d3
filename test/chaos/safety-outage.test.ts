import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivePromptCanary } from '@parley/platform';
import { startLoad, summarize, waitFor, type RequestOutcome, type ServiceProcess } from '@parley/testkit';
import { INTERNAL_SECRET, startStack, type Stack } from '../e2e/stack.js';
import { FULL, UNLIMITED_GATEWAY, crashes, createApiKey, metricValue, mintSession, restartable, scrape, simConfig, sleep } from './support.js';

// safety-service is killed (SIGKILL) under load and started again DOWN_MS later. Every reply
// leaks the deployment's prompt canary after ~40 words, which the output check blocks: any
// client that ever sees the canary got model output nobody checked. chat-service's own unit
// test (chat-service/test/safety-fail-closed.test.ts) covers the same rule against a fake.
const DOWN_MS = FULL ? 10_000 : 3_000;
const RESET_MS = 2_000;
/** Load goes on this long after safety-service is ready again. */
const AFTER_MS = RESET_MS + (FULL ? 10_000 : 4_000);
const RATE = 15;
const CANARY = derivePromptCanary(INTERNAL_SECRET);
const WORDS = 'the garden path winds past old stone walls where ivy climbs and bees drift between the lavender rows';
// About 40 words of harmless text, the canary, then ten more words.
const REPLY = `${WORDS} ${WORDS} ${CANARY} and the evening light settles softly over the quiet hills`;

let stack: Stack;
let apiKey: string;
let safety: ServiceProcess;

beforeAll(async () => {
  stack = await startStack({ 'chat-service': { BREAKER_RESET_TIMEOUT_MS: String(RESET_MS), BREAKER_VOLUME_THRESHOLD: '10' }, gateway: UNLIMITED_GATEWAY });
  apiKey = await createApiKey(stack.gateway.url);
  // A stream takes about a second: many are between two windows when safety-service dies.
  await simConfig(stack, { tokens_per_second: 50 });
  safety = stack.safety;
});
afterAll(async () => {
  await stack?.stop();
  if (safety !== stack?.safety) await safety?.stop();
});

/** Everything a client was shown: released deltas, notices, and JSON replies. */
function shownText(o: RequestOutcome): string {
  const parts = o.events.map((e) => e.data);
  const body = o.body as { choices?: { message?: { content?: string } }[] } | undefined;
  parts.push(body?.choices?.[0]?.message?.content ?? '');
  return parts.join('\n');
}

describe('safety-service dies under load', () => {
  it('fails closed: no unchecked output reaches a client, every failure is typed, and traffic recovers on its own', async () => {
    // Starting safety-service takes a few seconds (its engine warms up): sessions for 10 s more than the plan.
    const sessions = await Promise.all(Array.from({ length: Math.ceil((RATE * (3_000 + DOWN_MS + AFTER_MS + 10_000)) / 2000) }, () => mintSession(stack.gateway.url)));
    const message = (i: number) => `Tell me about gardens, number ${i}. [[sim:reply=${REPLY}]]`;
    const send = (i: number, signal: AbortSignal) =>
      i % 2 === 0
        ? fetch(`${stack.gateway.url}/api/v1/chat`, {
            method: 'POST',
            headers: { authorization: `Bearer ${sessions[i / 2]}`, 'content-type': 'application/json', accept: 'text/event-stream' },
            body: JSON.stringify({ message: message(i) }),
            signal,
          })
        : fetch(`${stack.gateway.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: message(i) }] }),
            signal,
          });
    const restart = restartable(stack.safety);
    const load = startLoad({ ratePerSecond: RATE, requests: sessions.length * 2, send, label: (i) => (i % 2 === 0 ? 'ui-stream' : 'api-json'), timeoutMs: 30_000 });
    await sleep(3_000);
    const killedAt = performance.now();
    await stack.safety.stop('SIGKILL');
    await sleep(DOWN_MS);
    safety = await restart();
    const backAt = performance.now();
    await sleep(AFTER_MS);
    load.stop();
    const outcomes = await load.done;
    const all = summarize(outcomes);

    // Fail closed: the canary never reached a client, before, during or after the outage.
    const leaked = outcomes.filter((o) => shownText(o).toLowerCase().includes(CANARY.toLowerCase()));
    expect(leaked.length).toBe(0);
    // ...and the check above looked at real output: streams released the text before the canary.
    expect(outcomes.some((o) => o.ending === 'ok' && shownText(o).includes('garden path'))).toBe(true);
    // ...and the output check really ran on what was shown: every reply that completed was blocked.
    for (const o of outcomes.filter((x) => x.ending === 'ok')) {
      const finish = o.label === 'ui-stream' ? (JSON.parse(o.events.at(-1)?.data ?? '{}') as { finish_reason?: string }).finish_reason : (o.body as { choices: { finish_reason: string }[] }).choices[0]?.finish_reason;
      expect(finish).toBe('content_filter');
    }

    // Every failure typed (503 safety_unavailable, or a stream's error event with that code); no truncation, no hang.
    expect(all.untyped, JSON.stringify(all.failures)).toEqual([]);
    expect(all.byEnding.truncated + all.byEnding.no_response).toBe(0);
    expect(Object.keys(all.failures).every((k) => k.endsWith('safety_unavailable'))).toBe(true);
    expect(all.latencyMs.max).toBeLessThan(5_000);
    // Streams that were between two output windows when safety-service died ended with a typed error.
    const caught = outcomes.filter((o) => o.label === 'ui-stream' && o.startedAt < killedAt && o.endedAt > killedAt);
    expect(caught.every((o) => o.ending === 'ok' || (o.ending === 'stream_error' && o.code === 'safety_unavailable'))).toBe(true);

    // Nothing failed before the outage; traffic came back on its own within a breaker reset of safety-service's return.
    expect(summarize(outcomes.filter((o) => o.endedAt < killedAt)).availability).toBe(1);
    const failed = outcomes.filter((o) => o.ending !== 'ok');
    expect(failed.length).toBeGreaterThan(RATE);
    const lastFailureStart = Math.max(...failed.map((o) => o.startedAt));
    expect(lastFailureStart - backAt).toBeLessThan(RESET_MS + 1_500);
    const settled = outcomes.filter((o) => o.startedAt > backAt + RESET_MS + 1_500);
    expect(settled.length).toBeGreaterThan(RATE);
    expect(summarize(settled).availability).toBe(1);

    // The operator's view: each refused request counted once, by the direction that could not be checked.
    const metrics = await scrape(stack.chat.url);
    const failClosed = (direction: string) => metricValue(metrics, 'chat_safety_fail_closed_total', { direction }) ?? 0;
    expect(failClosed('input') + failClosed('output')).toBe(failed.length);
    // (Whether safety-service's breaker opened depends on the outage's length: a turn makes several
    // checks, one per output window, so a short outage stays under its 50% in the 30 s window.)
    const opened = metricValue(metrics, 'parley_circuit_breaker_transitions_total', { breaker: 'safety-service', state: 'open' }) ?? 0;
    await waitFor(async () => metricValue(await scrape(stack.chat.url), 'parley_circuit_breaker_state', { breaker: 'safety-service', state: 'closed' }) === 1, { what: 'the safety breaker to be closed' });
    expect([stack.gateway, stack.chat, stack.sim, safety].flatMap(crashes)).toEqual([]);

    console.info(
      `[chaos] safety-service down ${DOWN_MS} ms at ${RATE}/s: ${all.total} requests, ${leaked.length} leaked; failures ${JSON.stringify(all.failures)}; ` +
        `streams in flight at the kill ${caught.length} (${caught.filter((o) => o.ending === 'stream_error').length} ended with an error event); ` +
        `fail-closed input ${failClosed('input')} output ${failClosed('output')}; breaker opened ${opened} times; last failure started ${Math.round(lastFailureStart - backAt)} ms after restart; max latency ${Math.round(all.latencyMs.max)} ms`,
    );
  });
});
