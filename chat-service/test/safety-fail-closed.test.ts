import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { Health, IDENTITY_HEADER, createBreakers, createIdentitySigner, createIdentityVerifier, createLogger, createMetrics } from '@parley/platform';
import { captureLogs } from '@parley/testkit';
import { createMemoryConversationStore } from '../src/adapters/memory-conversation-store.js';
import { createApp } from '../src/app.js';
import { withBreaker } from '../src/resilience/guarded-safety.js';
import { fakeLlm, fakeSafety } from './fakes.js';

// chat_safety_fail_closed_total feeds the "safety-service failing closed" alert: its name and labels are a contract.

const secret = 'chat-service-test-secret-long-enough-123';
const signer = createIdentitySigner({ secret, issuer: 'gateway' });
const session = () => signer.sign({ sub: 'session-1', kind: 'session', role: 'user', lang: 'en' }, 'chat-service');
const apiKey = () => signer.sign({ sub: 'key-1', kind: 'api_key', role: 'user' }, 'chat-service');

/** chat-service as main.ts wires it: safety-service behind its breaker, counted in the app's registry. */
function build(reply = 'one two three four five six seven eight nine ten eleven twelve thirteen') {
  const logs = captureLogs();
  const logger = createLogger({ service: 'chat-service', destination: logs.stream });
  const metrics = createMetrics({ defaultMetrics: false });
  const breakers = createBreakers({
    options: { errorThresholdPercentage: 50, volumeThreshold: 3, resetTimeoutMs: 60_000, rollingWindowMs: 60_000 },
    registry: metrics.registry,
    logger,
    isFailure: () => true,
  });
  const safety = fakeSafety();
  const app = createApp({
    logger,
    metrics,
    health: new Health(),
    llm: fakeLlm(reply).llm,
    breakers,
    safety: withBreaker(safety.safety, breakers.get('safety-service', 'safety'), { registry: metrics.registry }),
    store: createMemoryConversationStore({ idleTtlSeconds: 60, maxMessages: 20 }),
    verifier: createIdentityVerifier({ secret, audience: 'chat-service' }),
    chat: { model: 'm', maxTokens: 64, temperature: 0, historyLimit: 20, contextTokens: 100_000, safetyWindowChars: 16, safetyHoldbackChars: 8, safetyFlushMs: 0, systemPrompts: { en: 'en', de: 'de', fr: 'fr' } },
    maxMessageChars: 100,
  });
  const failClosed = async (direction: 'input' | 'output') => {
    const match = new RegExp(`^chat_safety_fail_closed_total\\{direction="${direction}"\\} (\\d+)$`, 'm').exec((await request(app).get('/metrics')).text);
    return match ? Number(match[1]) : undefined;
  };
  return { app, safety, breakers, failClosed };
}

const turn = async (app: ReturnType<typeof build>['app'], accept = 'application/json') =>
  request(app).post('/api/v1/chat').set(IDENTITY_HEADER, await session()).set('accept', accept).send({ message: 'hi' });

describe('chat_safety_fail_closed_total', () => {
  it('is 0 for both directions while safety-service answers', async () => {
    const { app, failClosed } = build();
    expect((await turn(app)).status).toBe(200);
    expect((await turn(app, 'text/event-stream')).text).toContain('event: done');
    expect(await failClosed('input')).toBe(0);
    expect(await failClosed('output')).toBe(0);
  });

  it('counts each turn refused because the input could not be checked, also once its breaker is open', async () => {
    const { app, safety, breakers, failClosed } = build();
    safety.state.down = true;
    for (let i = 1; i <= 5; i++) {
      expect((await turn(app)).status).toBe(503);
      expect(await failClosed('input')).toBe(i);
    }
    // The breaker opened after 3 failures: the last turns never reached safety-service.
    expect(breakers.get('safety-service', 'safety').state()).toBe('open');
    expect(safety.seen.length).toBeLessThan(5);
    expect(await failClosed('output')).toBe(0);
  });

  it('counts a completion once however many of its user messages failed to be checked', async () => {
    const { app, safety, failClosed } = build();
    safety.state.down = true;
    const res = await request(app)
      .post('/v1/chat/completions')
      .set(IDENTITY_HEADER, await apiKey())
      .send({ model: 'm', messages: ['one', 'two', 'three'].map((content) => ({ role: 'user', content })) });
    expect(res.status).toBe(503);
    expect(safety.seen).toHaveLength(3);
    expect(await failClosed('input')).toBe(1);
  });

  it('counts a reply withheld because its output could not be checked', async () => {
    const { app, safety, failClosed } = build('A short reply.');
    safety.state.downAfter = 1; // the input check passes, the output check fails
    expect((await turn(app)).status).toBe(503);
    expect(await failClosed('output')).toBe(1);
    expect(await failClosed('input')).toBe(0);
  });

  it('counts a stream stopped mid-reply once, as output', async () => {
    const { app, safety, failClosed } = build();
    safety.state.downAfter = 2; // input and the first window pass, the next windows fail
    const res = await turn(app, 'text/event-stream');
    expect(res.text).toContain('event: delta');
    expect(res.text).toContain('event: error\ndata: {"code":"safety_unavailable"');
    expect(await failClosed('output')).toBe(1);
    expect(await failClosed('input')).toBe(0);
    // The same again: a second stream is a second refusal.
    safety.seen.length = 0;
    expect((await turn(app, 'text/event-stream')).text).toContain('event: error');
    expect(await failClosed('output')).toBe(2);
    expect(await failClosed('input')).toBe(0);
  });
});
