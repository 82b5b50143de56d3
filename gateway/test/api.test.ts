import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_HEADER } from '@parley/platform';
import { PROMETHEUS_SCRAPE_ACCEPT } from '@parley/testkit';
import { buildGateway, listen, startUpstream, type Upstream } from './harness.js';

async function build(chatServiceUrl: string, webDistDir?: string) {
  return buildGateway({ chatServiceUrl, overrides: { webDistDir } });
}

let upstream: Upstream;
let gateway: Awaited<ReturnType<typeof listen>>;
let gatewayUrl: string;
let app: express.Express;

beforeAll(async () => {
  upstream = await startUpstream();
  ({ app } = await build(upstream.url));
  gateway = await listen(app);
  gatewayUrl = gateway.url;
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

async function session(language = 'en'): Promise<{ session_id: string; token: string; expires_at: string }> {
  const res = await request(app).post('/api/v1/sessions').send({ language });
  expect(res.status).toBe(201);
  return res.body;
}

describe('POST /api/v1/sessions', () => {
  it('mints an unguessable token with an idle expiry about 30 minutes ahead', async () => {
    const a = await session();
    const b = await session();
    expect(a.token).toMatch(/^pst_[\w-]{43}\.[\w-]{22}$/);
    expect(a.token).not.toBe(b.token);
    expect(a.session_id).not.toBe(b.session_id);
    const ahead = Date.parse(a.expires_at) - Date.now();
    expect(ahead).toBeGreaterThan(29 * 60_000);
    expect(ahead).toBeLessThanOrEqual(30 * 60_000);
  });

  it('accepts an empty body', async () => {
    expect((await request(app).post('/api/v1/sessions')).status).toBe(201);
  });

  it.each([
    { name: 'malformed JSON', send: (r: request.Test) => r.set('content-type', 'application/json').send('{"language":'), status: 400, code: 'invalid_json' },
    { name: 'wrong content type', send: (r: request.Test) => r.set('content-type', 'text/plain').send('en'), status: 415, code: 'unsupported_media_type' },
    { name: 'unknown language', send: (r: request.Test) => r.send({ language: 'xx' }), status: 400, code: 'invalid_request' },
    { name: 'unknown field', send: (r: request.Test) => r.send({ language: 'en', admin: true }), status: 400, code: 'invalid_request' },
    { name: 'oversized body', send: (r: request.Test) => r.send({ language: 'en', pad: 'x'.repeat(10_000) }), status: 413, code: 'payload_too_large' },
  ])('rejects $name with a $status problem', async ({ send, status, code }) => {
    const res = await send(request(app).post('/api/v1/sessions'));
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status, code, trace_id: expect.stringMatching(/^[\da-f]{32}$/) });
  });
});

describe('session-authenticated proxy to chat-service', () => {
  it('refuses a request without a token with 401 unauthorized, and an unknown token with session_expired', async () => {
    const none = await request(app).post('/api/v1/chat').send({ message: 'hi' });
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('unauthorized');
    expect(none.headers['www-authenticate']).toBe('Bearer');
    const forged = await request(app).post('/api/v1/chat').set('authorization', `Bearer pst_${'A'.repeat(43)}.${'B'.repeat(22)}`).send({ message: 'hi' });
    expect(forged.status).toBe(401);
    expect(forged.body.code).toBe('unauthorized');
    const s = await session();
    await request(app).delete('/api/v1/sessions/current').set('authorization', `Bearer ${s.token}`).expect(204);
    const ended = await request(app).post('/api/v1/chat').set('authorization', `Bearer ${s.token}`).send({ message: 'hi' });
    expect(ended.status).toBe(401);
    expect(ended.body.code).toBe('session_expired');
  });

  it('forwards the POST body untouched with a signed identity and without the client credentials', async () => {
    const s = await session('fr');
    const res = await fetch(`${gatewayUrl}/api/v1/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json', [IDENTITY_HEADER]: 'forged', cookie: 'a=b' },
      body: JSON.stringify({ message: 'bonjour' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ reply: 'ok', echo: '{"message":"bonjour"}' });
    const seen = upstream.seen.at(-1)!;
    expect(seen.identity).toMatchObject({ sub: s.session_id, kind: 'session', lang: 'fr', issuer: 'gateway' });
    expect(seen.headers['authorization']).toBeUndefined();
    expect(seen.headers['cookie']).toBeUndefined();
  });

  it('streams SSE through unbuffered: the first event arrives before the upstream finishes', async () => {
    const s = await session();
    upstream.state.holdStreams = true;
    const res = await fetch(`${gatewayUrl}/api/v1/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ message: 'stream please' }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('"msg_1"');
    expect(first).not.toContain('event: done');
    upstream.state.holdStreams = false;
    upstream.releaseAll();
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toContain('event: done');
  });

  it('refuses an oversized body at the edge without forwarding it', async () => {
    const s = await session();
    const before = upstream.seen.length;
    const res = await request(app).post('/api/v1/chat').set('authorization', `Bearer ${s.token}`).send({ message: 'x'.repeat(5000) });
    expect(res.status).toBe(413);
    expect(upstream.seen.length).toBe(before);
  });

  it('answers 503 with Retry-After and a problem when chat-service is down', async () => {
    const { app: lonely, logs } = await build('http://127.0.0.1:9');
    const token = (await request(lonely).post('/api/v1/sessions').send({})).body.token as string;
    expect(token).toBeDefined();
    const res = await request(lonely).post('/api/v1/chat').set('authorization', `Bearer ${token}`).send({ message: 'hi' });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toMatchObject({ code: 'service_unavailable', retryable: true });
    expect(logs.lines.find((l) => l['msg'] === 'chat-service unreachable')).toMatchObject({ level: 'error', component: 'proxy' });
  });

  it('answers 504 when chat-service does not answer within the upstream timeout, and frees the session', async () => {
    const { app: impatient, logs } = buildGateway({ chatServiceUrl: upstream.url, overrides: { upstreamTimeoutMs: 1_000 } });
    const token = (await request(impatient).post('/api/v1/sessions').send({})).body.token as string;
    upstream.state.hang = true;
    try {
      const res = await request(impatient).post('/api/v1/chat').set('authorization', `Bearer ${token}`).send({ message: 'hello?' });
      expect(res.status).toBe(504);
      expect(res.body).toMatchObject({ code: 'upstream_timeout', retryable: true });
      expect(logs.lines.find((l) => l['msg'] === 'chat-service timed out')).toMatchObject({ level: 'error' });
    } finally {
      upstream.state.hang = false;
    }
    // The slot the timed-out request held is free again: the next message goes through.
    await request(impatient).post('/api/v1/chat').set('authorization', `Bearer ${token}`).send({ message: 'again' }).expect(200);
  });

  it('labels proxied requests with their route template in metrics', async () => {
    const res = await request(app).get('/metrics');
    expect(res.text).toMatch(/http_server_request_duration_seconds_count\{http_request_method="POST",http_route="\/api\/v1\/chat",http_response_status_code="200",url_scheme="http",error_type=""\}/);
    expect(res.text).not.toMatch(/pst_/);
  });

  it('puts the request\'s trace id as an exemplar on the overhead and upstream histograms', async () => {
    const { token } = await session();
    const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    await request(app).post('/api/v1/chat').set('authorization', `Bearer ${token}`).set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`).send({ message: 'hi' }).expect(200);
    const { text } = await request(app).get('/metrics').set('accept', PROMETHEUS_SCRAPE_ACCEPT);
    for (const name of ['gateway_request_overhead_seconds', 'gateway_upstream_duration_seconds']) {
      expect(text).toMatch(new RegExp(`^${name}_bucket\\{[^}]*http_route="/api/v1/chat"[^}]*\\} \\d+ # \\{trace_id="${traceId}"\\}`, 'm'));
    }
  });
});

describe('public config and web UI', () => {
  it('serves public UI settings', async () => {
    const res = await request(app).get('/api/v1/config');
    expect(res.body).toEqual({ languages: ['en', 'de', 'fr'], feedback_enabled: false, consent_mode: 'never', limits: { max_message_chars: 1000, session_idle_timeout_seconds: 1800 } });
  });

  it('serves the built UI at / with an index.html fallback and immutable assets', async () => {
    const dist = await mkdtemp(join(tmpdir(), 'parley-web-'));
    await mkdir(join(dist, 'assets'));
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>Parley</title>');
    await writeFile(join(dist, 'assets', 'app-1234.js'), 'console.log(1)');
    const { app: withUi } = await build(upstream.url, dist);
    const root = await request(withUi).get('/');
    expect(root.status).toBe(200);
    expect(root.text).toContain('<title>Parley</title>');
    expect(root.headers['content-security-policy']).toContain("default-src 'self'");
    expect((await request(withUi).get('/some/client/route')).text).toContain('<title>Parley</title>');
    expect((await request(withUi).get('/assets/app-1234.js')).headers['cache-control']).toContain('immutable');
    expect((await request(withUi).get('/assets/missing.js')).status).toBe(404);
    expect((await request(withUi).get('/api/v1/nope')).status).toBe(404);
  });

  it('says the UI is not built instead of failing obscurely', async () => {
    const { app: noUi } = await build(upstream.url, '/nonexistent');
    const res = await request(noUi).get('/');
    expect(res.status).toBe(503);
    expect(res.body.detail).toContain('npm run build');
  });
});
