import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IDENTITY_HEADER, createIdentityVerifier } from '@parley/platform';
import { PROMETHEUS_SCRAPE_ACCEPT, waitFor } from '@parley/testkit';
import { ADMIN_KEY, SECRET, buildGateway } from './harness.js';

const verifier = createIdentityVerifier({ secret: SECRET, audience: 'chat-service' });

interface Seen {
  method: string;
  url: string;
  headers: Record<string, unknown>;
  body: string;
  identity?: unknown;
}

/** A stand-in chat-service for the feedback routes: records what reached it and answers as told. */
async function startFeedbackUpstream() {
  const seen: Seen[] = [];
  const state: { status: number; body: unknown; headers: Record<string, string> } = { status: 202, body: {}, headers: {} };
  const app = express();
  app.use(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const token = req.headers[IDENTITY_HEADER];
    const identity = typeof token === 'string' ? await verifier.verify(token).catch(() => undefined) : undefined;
    seen.push({ method: req.method, url: req.url, headers: req.headers, body, identity });
    res.set(state.headers).status(state.status).type(state.status >= 400 ? 'application/problem+json' : 'application/json').send(JSON.stringify(state.body));
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    seen,
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let upstream: Awaited<ReturnType<typeof startFeedbackUpstream>>;
beforeAll(async () => {
  upstream = await startFeedbackUpstream();
});
afterAll(async () => {
  await upstream.close();
});
beforeEach(() => {
  upstream.seen.length = 0;
  Object.assign(upstream.state, { status: 202, body: { message_id: 'msg_1', rating: 'up', created_at: '2026-01-01T00:00:00.000Z', replaced: false }, headers: {} });
});

type Gateway = ReturnType<typeof buildGateway>;
function build(options: { enabled?: boolean; chatServiceUrl?: string; sessionLimit?: number } = {}): Gateway {
  return buildGateway({
    chatServiceUrl: options.chatServiceUrl ?? upstream.url,
    overrides: {
      rates: {
        ip: { name: 'ip', limit: 10_000, windowSeconds: 60 },
        session: { name: 'session', limit: options.sessionLimit ?? 10_000, windowSeconds: 60 },
        apiKey: { name: 'api_key', limit: 10_000, windowSeconds: 60 },
      },
      // FEEDBACK_ENABLED reaches the routes through the public config.
      publicConfig: { languages: ['en', 'de', 'fr'], feedback_enabled: options.enabled ?? true, consent_mode: 'never', limits: { max_message_chars: 1000, session_idle_timeout_seconds: 1800 } },
    },
  });
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
async function session(g: Gateway): Promise<{ token: string; session_id: string }> {
  const res = await request(g.app).post('/api/v1/sessions').send({});
  expect(res.status).toBe(201);
  return res.body;
}
async function createKey(g: Gateway, role: 'user' | 'admin' | 'auditor') {
  const res = await request(g.app).post('/api/v1/admin/keys').set(bearer(ADMIN_KEY)).send({ name: `${role}-client`, role });
  expect(res.status).toBe(201);
  return res.body as { id: string; key: string };
}

describe('POST /api/v1/feedback', () => {
  it('answers 404 feedback_disabled when FEEDBACK_ENABLED is off, and nothing reaches chat-service', async () => {
    const g = build({ enabled: false });
    const { token } = await session(g);
    for (const req of [request(g.app).post('/api/v1/feedback').set(bearer(token)), request(g.app).post('/api/v1/feedback')]) {
      const res = await req.send({ message_id: 'msg_1', rating: 'up' });
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 404, code: 'feedback_disabled', trace_id: expect.stringMatching(/^[\da-f]{32}$/) });
    }
    expect(upstream.seen).toHaveLength(0);
  });

  it("relays chat-service's 202, sending only the validated body, the signed session identity and the request id", async () => {
    const g = build();
    const { token, session_id: sessionId } = await session(g);
    const res = await request(g.app)
      .post('/api/v1/feedback')
      .set(bearer(token))
      .set('x-request-id', 'req-feedback-1')
      .set(IDENTITY_HEADER, 'forged')
      .set('cookie', 'a=b')
      .send({ message_id: 'msg_1', rating: 'up', comment: 'Spot on' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual(upstream.state.body);
    const [call] = upstream.seen;
    expect(call).toMatchObject({ method: 'POST', url: '/api/v1/feedback', identity: { sub: sessionId, kind: 'session', role: 'user', lang: 'en' } });
    expect(JSON.parse(call?.body ?? '')).toEqual({ message_id: 'msg_1', rating: 'up', comment: 'Spot on' });
    expect(call?.headers).toMatchObject({ 'x-request-id': 'req-feedback-1', 'content-type': 'application/json' });
    expect(call?.headers).not.toHaveProperty('authorization');
    expect(call?.headers).not.toHaveProperty('cookie');
    const metrics = (await request(g.app).get('/metrics').set('accept', PROMETHEUS_SCRAPE_ACCEPT)).text;
    expect(metrics).toMatch(/gateway_upstream_duration_seconds_count\{http_route="\/api\/v1\/feedback",http_response_status_code="202"\} 1/);
    // The relay's observations carry the request's trace id as their exemplar.
    expect(metrics).toMatch(/^gateway_upstream_duration_seconds_bucket\{[^}]*http_route="\/api\/v1\/feedback"[^}]*\} 1 # \{trace_id="[\da-f]{32}"\}/m);
    expect(metrics).toMatch(/^gateway_request_overhead_seconds_bucket\{[^}]*http_route="\/api\/v1\/feedback"[^}]*\} 1 # \{trace_id="[\da-f]{32}"\}/m);
    expect(metrics).toMatch(/http_server_request_duration_seconds_count\{http_request_method="POST",http_route="\/api\/v1\/feedback",http_response_status_code="202",url_scheme="http",error_type=""\} 1/);
  });

  it('refuses a request without a session with 401', async () => {
    const g = build();
    const res = await request(g.app).post('/api/v1/feedback').send({ message_id: 'msg_1', rating: 'up' });
    expect(res.status).toBe(401);
    expect(upstream.seen).toHaveLength(0);
  });

  it.each([
    { name: 'malformed JSON', send: (r: request.Test) => r.set('content-type', 'application/json').send('{"rating":'), status: 400, code: 'invalid_json' },
    { name: 'a text body', send: (r: request.Test) => r.set('content-type', 'text/plain').send('up'), status: 415, code: 'unsupported_media_type' },
    { name: 'no body', send: (r: request.Test) => r, status: 400, code: 'invalid_request' },
    { name: 'a rating other than up/down', send: (r: request.Test) => r.send({ message_id: 'msg_1', rating: 5 }), status: 400, code: 'invalid_request' },
    { name: 'no message_id', send: (r: request.Test) => r.send({ rating: 'down' }), status: 400, code: 'invalid_request' },
    { name: 'a message_id with a path in it', send: (r: request.Test) => r.send({ message_id: '../admin', rating: 'down' }), status: 400, code: 'invalid_request' },
    { name: 'an unknown field', send: (r: request.Test) => r.send({ message_id: 'msg_1', rating: 'up', session_id: 'someone-else' }), status: 400, code: 'invalid_request' },
    { name: 'a lone surrogate in the comment', send: (r: request.Test) => r.set('content-type', 'application/json').send('{"message_id":"msg_1","rating":"up","comment":"\\ud800"}'), status: 400, code: 'invalid_request' },
    { name: 'a body over MAX_BODY_BYTES', send: (r: request.Test) => r.send({ message_id: 'msg_1', rating: 'up', comment: 'x'.repeat(5_000) }), status: 413, code: 'payload_too_large' },
  ])('rejects $name with a $status problem at the edge', async ({ send, status, code }) => {
    const g = build();
    const { token } = await session(g);
    const res = await send(request(g.app).post('/api/v1/feedback').set(bearer(token)));
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ status, code });
    expect(upstream.seen).toHaveLength(0);
  });

  it("passes chat-service's problems on: 404 message_not_found, and 503 with its Retry-After", async () => {
    const g = build();
    const { token } = await session(g);
    upstream.state.status = 404;
    upstream.state.body = { type: 'urn:parley:problem:message_not_found', title: 'Not found', status: 404, code: 'message_not_found', detail: 'There is no assistant reply with this message_id in this session.' };
    const missing = await request(g.app).post('/api/v1/feedback').set(bearer(token)).send({ message_id: 'msg_nope', rating: 'up' });
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(missing.body).toMatchObject({ code: 'message_not_found' });

    Object.assign(upstream.state, { status: 503, headers: { 'retry-after': '2' }, body: { status: 503, code: 'service_unavailable', detail: 'Feedback storage is temporarily unavailable.' } });
    const down = await request(g.app).post('/api/v1/feedback').set(bearer(token)).send({ message_id: 'msg_1', rating: 'up' });
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('2');
    expect(down.body).toMatchObject({ code: 'service_unavailable' });
  });

  it('answers 503 with Retry-After when chat-service is unreachable, and logs it', async () => {
    const g = build({ chatServiceUrl: 'http://127.0.0.1:9' });
    const { token } = await session(g);
    const res = await request(g.app).post('/api/v1/feedback').set(bearer(token)).send({ message_id: 'msg_1', rating: 'up' });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toMatchObject({ code: 'service_unavailable', retryable: true });
    expect(g.logs.lines.find((l) => l['msg'] === 'chat-service unreachable')).toMatchObject({ level: 'error', component: 'proxy' });
  });

  it('answers 502, not 401, when chat-service refuses the identity the gateway signed', async () => {
    const g = build();
    const { token } = await session(g);
    Object.assign(upstream.state, { status: 401, body: { code: 'unauthorized' } });
    const res = await request(g.app).post('/api/v1/feedback').set(bearer(token)).send({ message_id: 'msg_1', rating: 'up' });
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('upstream_error');
    expect(g.logs.lines.find((l) => l['msg'] === 'chat-service refused the internal identity')).toMatchObject({ level: 'error' });
  });

  it("counts against the session's rate limit", async () => {
    const g = build({ sessionLimit: 1 });
    const { token } = await session(g);
    expect((await request(g.app).post('/api/v1/feedback').set(bearer(token)).send({ message_id: 'msg_1', rating: 'up' })).status).toBe(202);
    const limited = await request(g.app).post('/api/v1/feedback').set(bearer(token)).send({ message_id: 'msg_1', rating: 'down' });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(upstream.seen).toHaveLength(1);
  });
});

describe('GET /api/v1/admin/feedback', () => {
  const page = {
    feedback: [{ id: '1767225600000-0', session_id: 'sess-1', message_id: 'msg_1', rating: 'down', comment: 'wrong', created_at: '2026-01-01T00:00:00.000Z' }],
    next_cursor: null,
  };

  it('reads as the admin, forwarding only the validated query, and records the read in the audit trail', async () => {
    const g = build({ enabled: false }); // reading stays possible with new feedback switched off
    Object.assign(upstream.state, { status: 200, body: page });
    const res = await request(g.app).get('/api/v1/admin/feedback?rating=down&limit=10&since=2026-01-01T00:00:00Z').set(bearer(ADMIN_KEY));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual(page);
    expect(upstream.seen[0]).toMatchObject({ method: 'GET', identity: { sub: 'bootstrap-admin', role: 'admin' } });
    expect(new URL(upstream.seen[0]?.url ?? '', 'http://x').searchParams.toString()).toBe('since=2026-01-01T00%3A00%3A00Z&rating=down&limit=10');
    const [record] = (await g.audit.query({ type: 'feedback.read' })).records;
    expect(record).toMatchObject({ principal: 'bootstrap-admin', outcome: 'success', details: { returned: 1, rating: 'down' }, trace_id: expect.stringMatching(/^[\da-f]{32}$/) });
    expect(JSON.stringify(record)).not.toContain('wrong');
  });

  it('refuses users, auditors and sessions with 403, records the denial, and asks chat-service nothing', async () => {
    const g = build();
    const user = await createKey(g, 'user');
    const auditor = await createKey(g, 'auditor');
    const { token } = await session(g);
    for (const key of [user.key, auditor.key, token]) {
      const res = await request(g.app).get('/api/v1/admin/feedback').set(bearer(key));
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
    expect(upstream.seen).toHaveLength(0);
    await waitFor(async () => (await g.audit.query({ type: 'authz.denied' })).records.length === 3, { what: 'three denials in the trail' });
  });

  it.each(['?limit=0', '?rating=meh', '?cursor=x', '?since=yesterday', '?extra=1', '?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z'])('rejects the query %s with 400', async (query) => {
    const g = build();
    const res = await request(g.app).get(`/api/v1/admin/feedback${query}`).set(bearer(ADMIN_KEY));
    expect(res.status).toBe(400);
    expect(upstream.seen).toHaveLength(0);
  });

  it('answers 502 when chat-service sends a page of the wrong shape, and records no read', async () => {
    const g = build();
    Object.assign(upstream.state, { status: 200, body: { feedback: 'nope' } });
    const res = await request(g.app).get('/api/v1/admin/feedback').set(bearer(ADMIN_KEY));
    expect(res.status).toBe(502);
    expect((await g.audit.query({ type: 'feedback.read' })).records).toHaveLength(0);
  });
});
