import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Health, IDENTITY_HEADER, createIdentitySigner, createIdentityVerifier, createLogger, createMetrics } from '@parley/platform';
import { captureLogs, startRedisServer, waitFor, type RedisServer } from '@parley/testkit';
import { createRedisConversationStore } from '../src/adapters/redis-conversation-store.js';
import { createApp } from '../src/app.js';
import { createRedisFeedbackStore } from '../src/feedback/index.js';
import { fakeLlm, fakeSafety } from './fakes.js';

// The feedback API as the gateway calls it, on a real (private) Redis.

const secret = 'chat-service-test-secret-long-enough-123';
const signer = createIdentitySigner({ secret, issuer: 'gateway' });
const asSession = async (sub: string) => ({ [IDENTITY_HEADER]: await signer.sign({ sub, kind: 'session', role: 'user', lang: 'en' }, 'chat-service') });
const asKey = async (sub: string, role: 'user' | 'admin' | 'auditor') => ({ [IDENTITY_HEADER]: await signer.sign({ sub, kind: 'api_key', role }, 'chat-service') });
const REPLY = 'Paris is the capital of France.';

let redisServer: RedisServer;
beforeAll(async () => {
  redisServer = await startRedisServer();
});
afterAll(async () => {
  await redisServer.stop();
});

function build(options: { enabled?: boolean; maxCommentChars?: number } = {}) {
  const logs = captureLogs();
  const redis = redisServer.client();
  const app = createApp({
    logger: createLogger({ service: 'chat-service', destination: logs.stream }),
    metrics: createMetrics({ defaultMetrics: false }),
    health: new Health(),
    llm: fakeLlm(REPLY).llm,
    safety: fakeSafety().safety,
    store: createRedisConversationStore(redis, { idleTtlSeconds: 60, maxMessages: 20 }),
    verifier: createIdentityVerifier({ secret, audience: 'chat-service' }),
    chat: { model: 'm', maxTokens: 64, temperature: 0, historyLimit: 20, contextTokens: 8_192, safetyWindowChars: 16, safetyHoldbackChars: 8, safetyFlushMs: 0, systemPrompts: { en: 'en', de: 'de', fr: 'fr' } },
    maxMessageChars: 100,
    feedback: {
      // A stream of its own per app keeps tests apart on the shared server.
      store: createRedisFeedbackStore(redis, { retentionDays: 90, streamKey: `test:${randomUUID()}:feedback` }),
      enabled: options.enabled ?? true,
      maxCommentChars: options.maxCommentChars ?? 50,
    },
  });
  return { app, logs };
}

/** One answered chat turn; resolves with the assistant reply's id. */
async function turn(app: Express, session: string, message = 'What is the capital of France?'): Promise<string> {
  const res = await request(app).post('/api/v1/chat').set(await asSession(session)).send({ message });
  expect(res.status).toBe(200);
  return res.body.message_id as string;
}

const rate = async (app: Express, session: string, body: object) => request(app).post('/api/v1/feedback').set(await asSession(session)).send(body);
const adminRead = async (app: Express, query = '') => request(app).get(`/api/v1/admin/feedback${query}`).set(await asKey('admin-key', 'admin'));

describe('POST /api/v1/feedback', () => {
  it('accepts a rating of a reply with 202, counts it, and an admin reads it back; the comment is never logged', async () => {
    const { app, logs } = build();
    const messageId = await turn(app, 'sess-a');
    const res = await rate(app, 'sess-a', { message_id: messageId, rating: 'down', comment: '  wrong city, secret remark  ' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ message_id: messageId, rating: 'down', created_at: expect.any(String), replaced: false });

    const read = await adminRead(app);
    expect(read.status).toBe(200);
    expect(read.headers['cache-control']).toBe('no-store');
    expect(read.body).toEqual({
      feedback: [{ id: expect.stringMatching(/^\d+-\d+$/), session_id: 'sess-a', message_id: messageId, rating: 'down', comment: 'wrong city, secret remark', created_at: res.body.created_at }],
      next_cursor: null,
    });

    expect(logs.lines.find((l) => l['msg'] === 'feedback recorded')).toMatchObject({ level: 'info', service: 'chat-service', rating: 'down', replaced: false, has_comment: true });
    expect(logs.text()).not.toContain('secret remark');
    const metrics = (await request(app).get('/metrics')).text;
    expect(metrics).toMatch(/^parley_feedback_total\{rating="down"\} 1$/m);
    expect(metrics).toMatch(/^parley_feedback_total\{rating="up"\} 0$/m);
  });

  it('keeps one rating per reply: a second one replaces the first', async () => {
    const { app } = build();
    const messageId = await turn(app, 'sess-b');
    await rate(app, 'sess-b', { message_id: messageId, rating: 'up' }).then((r) => expect(r.status).toBe(202));
    const again = await rate(app, 'sess-b', { message_id: messageId, rating: 'down', comment: '   ' });
    expect(again.status).toBe(202);
    expect(again.body.replaced).toBe(true);
    expect((await adminRead(app)).body.feedback).toEqual([expect.objectContaining({ message_id: messageId, rating: 'down', comment: null })]);
  });

  it('answers 404 feedback_disabled when switched off, whatever the body, and stores nothing', async () => {
    const { app } = build({ enabled: false });
    const messageId = await turn(app, 'sess-off');
    for (const body of [{ message_id: messageId, rating: 'up' }, { nonsense: true }]) {
      const res = await rate(app, 'sess-off', body);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 404, code: 'feedback_disabled', detail: 'Feedback is switched off.' });
    }
    // What was stored before stays readable, exportable and erasable.
    expect((await adminRead(app)).body).toEqual({ feedback: [], next_cursor: null });
  });

  it("answers 404 message_not_found for an unknown id, the user's own message, or another session's reply", async () => {
    const { app } = build();
    const theirs = await turn(app, 'sess-other');
    await turn(app, 'sess-c');
    const userMessageId = ((await request(app).get('/api/v1/history').set(await asSession('sess-c'))).body.messages as { id: string; role: string }[]).find((m) => m.role === 'user')?.id;
    expect(userMessageId).toBeDefined();
    for (const messageId of ['msg_does-not-exist', userMessageId, theirs]) {
      const res = await rate(app, 'sess-c', { message_id: messageId, rating: 'up' });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ code: 'message_not_found', trace_id: expect.stringMatching(/^[\da-f]{32}$/) });
    }
    expect((await adminRead(app)).body.feedback).toEqual([]);
  });

  it.each([
    { name: 'no body', send: (r: request.Test) => r, status: 400, code: 'invalid_request' },
    { name: 'malformed JSON', send: (r: request.Test) => r.set('content-type', 'application/json').send('{"rating":'), status: 400, code: 'invalid_json' },
    { name: 'a form body', send: (r: request.Test) => r.type('form').send('rating=up'), status: 415, code: 'unsupported_media_type' },
    { name: 'no message_id', send: (r: request.Test) => r.send({ rating: 'up' }), status: 400, code: 'invalid_request' },
    { name: 'a rating other than up/down', send: (r: request.Test) => r.send({ message_id: 'msg_1', rating: 'meh' }), status: 400, code: 'invalid_request' },
    { name: 'a numeric message_id', send: (r: request.Test) => r.send({ message_id: 42, rating: 'up' }), status: 400, code: 'invalid_request' },
    { name: 'an unknown field', send: (r: request.Test) => r.send({ message_id: 'msg_1', rating: 'up', session_id: 'someone-else' }), status: 400, code: 'invalid_request' },
    { name: 'a comment over the limit', send: (r: request.Test) => r.send({ message_id: 'msg_1', rating: 'up', comment: 'x'.repeat(51) }), status: 400, code: 'invalid_request' },
    { name: 'a comment with NUL', send: (r: request.Test) => r.send({ message_id: 'msg_1', rating: 'up', comment: 'a\u0000b' }), status: 400, code: 'invalid_request' },
    { name: 'a null comment', send: (r: request.Test) => r.send({ message_id: 'msg_1', rating: 'up', comment: null }), status: 400, code: 'invalid_request' },
  ])('rejects $name with a $status problem', async ({ send, status, code }) => {
    const { app } = build();
    const res = await send(request(app).post('/api/v1/feedback').set(await asSession('sess-bad')));
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ status, code });
    expect(res.body.detail).toEqual(expect.any(String));
  });

  it('names the field and the limit when a comment is too long', async () => {
    const { app } = build();
    const res = await rate(app, 'sess-long', { message_id: 'msg_1', rating: 'up', comment: 'y'.repeat(60) });
    expect(res.body.detail).toBe('Invalid request body: comment: must be at most 50 characters.');
  });
});

describe('GET /api/v1/admin/feedback', () => {
  it('is refused with 403 to identities without the admin role', async () => {
    const { app } = build();
    for (const headers of [await asSession('sess-d'), await asKey('k-user', 'user'), await asKey('k-auditor', 'auditor')]) {
      const res = await request(app).get('/api/v1/admin/feedback').set(headers);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
    expect((await request(app).get('/api/v1/admin/feedback')).status).toBe(401);
  });

  it('filters by rating and time and pages with next_cursor', async () => {
    const { app } = build();
    for (const [i, rating] of (['up', 'down', 'up'] as const).entries()) {
      const session = `sess-page-${i}`;
      expect((await rate(app, session, { message_id: await turn(app, session), rating })).status).toBe(202);
    }
    const first = await adminRead(app, '?limit=2');
    expect(first.body.feedback.map((e: { session_id: string }) => e.session_id)).toEqual(['sess-page-2', 'sess-page-1']);
    const rest = await adminRead(app, `?limit=2&cursor=${first.body.next_cursor}`);
    expect(rest.body).toEqual({ feedback: [expect.objectContaining({ session_id: 'sess-page-0' })], next_cursor: null });
    expect((await adminRead(app, '?rating=down')).body.feedback.map((e: { session_id: string }) => e.session_id)).toEqual(['sess-page-1']);
    const later = new Date(Date.now() + 60_000).toISOString();
    expect((await adminRead(app, `?since=${encodeURIComponent(later)}`)).body.feedback).toEqual([]);
  });

  it.each(['?limit=0', '?limit=5000', '?rating=sideways', '?since=yesterday', '?cursor=abc', '?cursor=99999999999999999999-0', '?unknown=1', '?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z'])(
    'rejects the query %s with 400',
    async (query) => {
      const { app } = build();
      const res = await adminRead(app, query);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_request');
    },
  );
});

describe('export and erasure', () => {
  it("exports the session's feedback, and DELETE erases it with the history, counted in the log line", async () => {
    const { app, logs } = build();
    const messageId = await turn(app, 'sess-e');
    const otherId = await turn(app, 'sess-keep');
    await rate(app, 'sess-e', { message_id: messageId, rating: 'up', comment: 'great' }).then((r) => expect(r.status).toBe(202));
    await rate(app, 'sess-keep', { message_id: otherId, rating: 'down' }).then((r) => expect(r.status).toBe(202));

    const exported = await request(app).get('/api/v1/sessions/current/export').set(await asSession('sess-e'));
    expect(exported.status).toBe(200);
    expect(exported.body.feedback).toEqual([{ message_id: messageId, rating: 'up', comment: 'great', created_at: expect.any(String) }]);

    await request(app).delete('/api/v1/sessions/current').set(await asSession('sess-e')).expect(204);
    expect(logs.lines.find((l) => l['msg'] === 'session data erased')).toMatchObject({ messages_removed: 2, feedback_removed: 1 });
    expect((await request(app).get('/api/v1/sessions/current/export').set(await asSession('sess-e'))).body).toMatchObject({ messages: [], feedback: [] });
    expect((await adminRead(app)).body.feedback).toEqual([expect.objectContaining({ session_id: 'sess-keep' })]);
  });
});

describe('while Redis is down', () => {
  it('answers a clear 503 with Retry-After, and works again once Redis is back, without a restart', async () => {
    const { app } = build();
    const messageId = await turn(app, 'sess-down');
    await redisServer.kill();
    try {
      const posted = await rate(app, 'sess-down', { message_id: messageId, rating: 'up' });
      expect(posted.status).toBe(503);
      expect(posted.headers['retry-after']).toBe('2');
      expect(posted.body).toMatchObject({ code: 'service_unavailable', retryable: true });
      const read = await adminRead(app);
      expect(read.status).toBe(503);
      expect(read.headers['retry-after']).toBe('2');
      expect(read.body).toMatchObject({ code: 'service_unavailable', detail: 'Feedback storage is temporarily unavailable.' });
    } finally {
      await redisServer.restart();
    }
    // The restarted server is empty (no persistence): a new turn, then its rating goes through.
    await waitFor(async () => (await adminRead(app)).status === 200, { what: 'admin read to recover', timeoutMs: 10_000 });
    const fresh = await turn(app, 'sess-down');
    expect((await rate(app, 'sess-down', { message_id: fresh, rating: 'up' })).status).toBe(202);
  });
});
