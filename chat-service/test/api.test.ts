import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { Health, IDENTITY_HEADER, createIdentitySigner, createIdentityVerifier, createLogger, createMetrics, createBreakers } from '@parley/platform';
import { captureLogs, waitFor } from '@parley/testkit';
import { createMemoryConversationStore } from '../src/adapters/memory-conversation-store.js';
import { createApp } from '../src/app.js';
import { fakeLlm, fakeSafety } from './fakes.js';

const secret = 'chat-service-test-secret-long-enough-123';
const signer = createIdentitySigner({ secret, issuer: 'gateway' });
const identity = (sub = 'session-1') => signer.sign({ sub, kind: 'session', role: 'user', lang: 'en' }, 'chat-service');

function build(reply = 'Hello from the model, nice to meet you.', hold?: Promise<void>) {
  const logs = captureLogs();
  const llm = fakeLlm(reply, hold ? { hold } : {});
  const safety = fakeSafety();
  const logger = createLogger({ service: 'chat-service', destination: logs.stream });
  const metrics = createMetrics({ defaultMetrics: false });
  const app = createApp({
    logger,
    metrics,
    health: new Health(),
    llm: llm.llm,
    llmModels: () => ['m'],
    breakers: createBreakers({ options: { errorThresholdPercentage: 50, volumeThreshold: 5, resetTimeoutMs: 1_000, rollingWindowMs: 10_000 }, registry: metrics.registry, logger, isFailure: () => true }),
    safety: safety.safety,
    store: createMemoryConversationStore({ idleTtlSeconds: 60, maxMessages: 20 }),
    verifier: createIdentityVerifier({ secret, audience: 'chat-service' }),
    chat: { model: 'm', maxTokens: 64, temperature: 0, historyLimit: 20, contextTokens: 100_000, safetyWindowChars: 16, safetyHoldbackChars: 8, safetyFlushMs: 0, systemPrompts: { en: 'en', de: 'de', fr: 'fr' } },
    maxMessageChars: 100,
  });
  return { app, logs, llm, safety, metrics };
}

/** count and sum of one series of parley_chat_time_to_first_text_seconds. */
async function firstText(metrics: ReturnType<typeof createMetrics>, api: string) {
  const text = await metrics.registry.getSingleMetricAsString('parley_chat_time_to_first_text_seconds');
  const value = (suffix: string) => Number(new RegExp(`^parley_chat_time_to_first_text_seconds_${suffix}\\{api="${api}"\\} (\\S+)`, 'm').exec(text)?.[1] ?? 0);
  return { count: value('count'), sum: value('sum') };
}

describe('POST /api/v1/chat', () => {
  it('accepts only calls carrying an identity signed inside Parley', async () => {
    const { app } = build();
    const res = await request(app).post('/api/v1/chat').send({ message: 'hi' });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthorized');
    const forged = await createIdentitySigner({ secret: 'some-other-secret-that-is-long-enough', issuer: 'x' }).sign({ sub: 's', kind: 'session', role: 'user' }, 'chat-service');
    expect((await request(app).post('/api/v1/chat').set(IDENTITY_HEADER, forged).send({ message: 'hi' })).status).toBe(401);
  });

  it('answers JSON with the contract fields and logs the turn without its text', async () => {
    const { app, logs } = build();
    const res = await request(app).post('/api/v1/chat').set(IDENTITY_HEADER, await identity()).send({ message: 'my secret question' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      message_id: expect.stringMatching(/^msg_/),
      reply: 'Hello from the model, nice to meet you.',
      finish_reason: 'stop',
      usage: { input_tokens: 11, output_tokens: 7 },
      cost_usd: 0,
      safety: { action: 'allow' },
      model: 'm',
    });
    expect(logs.lines.find((l) => l['msg'] === 'chat turn')).toMatchObject({ finish_reason: 'stop', usage: { input_tokens: 11, output_tokens: 7 }, safety_action: 'allow' });
    expect(logs.text()).not.toContain('my secret question');
    expect(logs.text()).not.toContain('nice to meet you');
  });

  it('streams meta, delta and done events when asked for text/event-stream', async () => {
    const { app } = build();
    const res = await request(app).post('/api/v1/chat').set(IDENTITY_HEADER, await identity()).set('accept', 'text/event-stream').send({ message: 'hi' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    expect(res.headers['cache-control']).toContain('no-cache');
    const events = res.text.split('\n\n').filter(Boolean).map((b) => b.split('\n')[0]);
    expect(events[0]).toBe('event: meta');
    expect(events.at(-1)).toBe('event: done');
    expect(events.filter((e) => e === 'event: delta').length).toBeGreaterThan(1);
  });

  it('observes each streamed turn\'s time to its first released text, once, and not for JSON replies', async () => {
    const { app, metrics } = build();
    expect(await firstText(metrics, 'ui')).toEqual({ count: 0, sum: 0 });
    await request(app).post('/api/v1/chat').set(IDENTITY_HEADER, await identity()).send({ message: 'hi' });
    expect((await firstText(metrics, 'ui')).count).toBe(0);
    for (let i = 0; i < 2; i++) await request(app).post('/api/v1/chat').set(IDENTITY_HEADER, await identity()).set('accept', 'text/event-stream').send({ message: 'hi' });
    const seen = await firstText(metrics, 'ui');
    expect(seen.count).toBe(2);
    expect(seen.sum).toBeGreaterThan(0);
    // A blocked message shows only the notice: that is its first text.
    await request(app).post('/api/v1/chat').set(IDENTITY_HEADER, await identity()).set('accept', 'text/event-stream').send({ message: 'BLOCK this' });
    expect((await firstText(metrics, 'ui')).count).toBe(3);
    // The OpenAI-compatible stream is counted under its own label.
    const completion = await request(app)
      .post('/v1/chat/completions')
      .set(IDENTITY_HEADER, await signer.sign({ sub: 'key-1', kind: 'api_key', role: 'user' }, 'chat-service'))
      .send({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.status).toBe(200);
    expect((await firstText(metrics, 'openai')).count).toBe(1);
  });

  it('reports a safety outage before the stream as a 503 with Retry-After, not an event', async () => {
    const { app, safety } = build();
    safety.state.down = true;
    const res = await request(app).post('/api/v1/chat').set(IDENTITY_HEADER, await identity()).set('accept', 'text/event-stream').send({ message: 'hi' });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.body).toMatchObject({ code: 'safety_unavailable', retryable: true });
  });

  it('ends a stream with a typed error event when safety fails after the first byte', async () => {
    const { app, safety } = build('one two three four five six seven eight nine ten eleven twelve thirteen');
    safety.state.downAfter = 2;
    const res = await request(app).post('/api/v1/chat').set(IDENTITY_HEADER, await identity()).set('accept', 'text/event-stream').send({ message: 'hi' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('event: error\ndata: {"code":"safety_unavailable","message":"down","retryable":true}');
    expect(res.text).not.toContain('event: done');
  });

  it('aborts the model call when the client disconnects mid-stream', async () => {
    const hold = new Promise<void>(() => {});
    const { app, llm } = build('first second third fourth fifth sixth seventh', hold);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as { port: number };
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', [IDENTITY_HEADER]: await identity() },
      body: JSON.stringify({ message: 'hi' }),
      signal: controller.signal,
    });
    await res.body!.getReader().read();
    controller.abort();
    await waitFor(() => llm.calls[0]?.signal.aborted, { what: 'upstream signal to abort' });
    server.close();
  });

  it.each([
    { name: 'malformed JSON', type: 'application/json', body: '{"message":', status: 400 },
    { name: 'wrong content type', type: 'text/plain', body: 'hi', status: 415 },
    { name: 'missing message', type: 'application/json', body: '{}', status: 400 },
    { name: 'empty message', type: 'application/json', body: '{"message":"   "}', status: 400 },
    { name: 'message over the limit', type: 'application/json', body: JSON.stringify({ message: 'x'.repeat(101) }), status: 400 },
    { name: 'oversized body', type: 'application/json', body: JSON.stringify({ message: 'x'.repeat(100_000) }), status: 413 },
  ])('rejects $name with $status', async ({ type, body, status }) => {
    const { app, llm } = build();
    const res = await request(app).post('/api/v1/chat').set(IDENTITY_HEADER, await identity()).set('content-type', type).send(body);
    expect(res.status).toBe(status);
    expect(res.body.code).toBeTruthy();
    expect(llm.calls).toHaveLength(0);
  });

  it('refuses an Accept it cannot serve with 406', async () => {
    const { app } = build();
    const res = await request(app).post('/api/v1/chat').set(IDENTITY_HEADER, await identity()).set('accept', 'image/png').send({ message: 'hi' });
    expect(res.status).toBe(406);
  });
});

describe('GET /api/v1/history', () => {
  it('returns only the calling session history', async () => {
    const { app } = build();
    await request(app).post('/api/v1/chat').set(IDENTITY_HEADER, await identity('a')).send({ message: 'from a' }).expect(200);
    const a = await request(app).get('/api/v1/history').set(IDENTITY_HEADER, await identity('a'));
    expect(a.body.messages).toEqual([
      { id: expect.any(String), role: 'user', content: 'from a', created_at: expect.any(String) },
      { id: expect.stringMatching(/^msg_/), role: 'assistant', content: 'Hello from the model, nice to meet you.', created_at: expect.any(String) },
    ]);
    const b = await request(app).get('/api/v1/history').set(IDENTITY_HEADER, await identity('b'));
    expect(b.body.messages).toEqual([]);
  });
});

describe('export and erase', () => {
  it('exports the session history and erases it on DELETE', async () => {
    const { app } = build();
    const id = await identity('erase-me');
    await request(app).post('/api/v1/chat').set(IDENTITY_HEADER, id).send({ message: 'remember this' }).expect(200);
    const exported = await request(app).get('/api/v1/sessions/current/export').set(IDENTITY_HEADER, id);
    expect(exported.body).toMatchObject({ session_id: 'erase-me', messages: [expect.objectContaining({ content: 'remember this' }), expect.any(Object)] });
    expect(exported.headers['cache-control']).toBe('no-store');
    await request(app).delete('/api/v1/sessions/current').set(IDENTITY_HEADER, id).expect(204);
    expect((await request(app).get('/api/v1/history').set(IDENTITY_HEADER, id)).body.messages).toEqual([]);
  });
});
