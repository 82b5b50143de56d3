import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@parley/testkit';
import { ADMIN_KEY, buildGateway, startUpstream, type Upstream } from './harness.js';

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream.close();
});

type Gateway = ReturnType<typeof buildGateway>;
const admin = (g: Gateway) => ({
  post: (path: string, body: object) => request(g.app).post(path).set('authorization', `Bearer ${ADMIN_KEY}`).send(body),
  get: (path: string) => request(g.app).get(path).set('authorization', `Bearer ${ADMIN_KEY}`),
  delete: (path: string) => request(g.app).delete(path).set('authorization', `Bearer ${ADMIN_KEY}`),
});
const as = (key: string) => ({ authorization: `Bearer ${key}` });

async function createKey(g: Gateway, role: 'user' | 'admin' | 'auditor', name = `${role}-client`) {
  const res = await admin(g).post('/api/v1/admin/keys', { name, role });
  expect(res.status).toBe(201);
  return res.body as { id: string; key: string; role: string };
}

describe('API keys and roles', () => {
  it('lets the bootstrap admin create a key that is shown once and works for chat', async () => {
    const g = buildGateway({ chatServiceUrl: upstream.url });
    const created = await createKey(g, 'user', 'acme-bot');
    expect(created.key).toMatch(/^pk_[a-z2-7]{12}_[\w-]{43}$/);
    const chat = await request(g.app).post('/api/v1/chat').set(as(created.key)).send({ message: 'hi from a program' });
    expect(chat.status).toBe(200);
    expect(upstream.seen.at(-1)?.identity).toMatchObject({ sub: created.id, kind: 'api_key' });
    const listed = await admin(g).get('/api/v1/admin/keys');
    expect(listed.body.keys).toEqual([expect.objectContaining({ id: created.id, name: 'acme-bot', role: 'user' })]);
    // The secret is everything after pk_<id>_ (it may itself contain '_': splitting on it once left a 1-character piece that a listing contained by chance).
    expect(JSON.stringify(listed.body)).not.toContain(created.key.slice(`pk_${created.id}_`.length));
    const record = (await g.audit.query({ type: 'apikey.created' })).records[0];
    expect(record).toMatchObject({ principal: 'bootstrap-admin', principal_kind: 'bootstrap_admin', details: { key_id: created.id, role: 'user' } });
  });

  it('refuses admin routes to users and auditors with 403, and records the denial', async () => {
    const g = buildGateway({ chatServiceUrl: upstream.url });
    const user = await createKey(g, 'user');
    const auditor = await createKey(g, 'auditor');
    expect((await request(g.app).get('/api/v1/admin/keys').set(as(user.key))).status).toBe(403);
    expect((await request(g.app).get('/api/v1/admin/keys').set(as(auditor.key))).status).toBe(403);
    expect((await request(g.app).get('/api/v1/audit').set(as(user.key))).status).toBe(403);
    expect((await request(g.app).get('/api/v1/audit').set(as(auditor.key))).status).toBe(200);
    const session = (await request(g.app).post('/api/v1/sessions').send({})).body.token as string;
    expect((await request(g.app).get('/api/v1/audit').set(as(session))).status).toBe(403);
    const denied = await waitFor(async () => {
      const records = (await g.audit.query({ type: 'authz.denied' })).records;
      return records.length === 4 ? records : undefined;
    }, { what: 'four denials in the trail' });
    expect(denied.map((r) => r.principal)).toEqual([user.id, auditor.id, user.id, expect.any(String)]);
    expect(denied[0]).toMatchObject({ outcome: 'denied', details: { role: 'user', path: '/api/v1/admin/keys' } });
  });

  it('revokes a key on every request at once, counting and auditing the failure', async () => {
    const g = buildGateway({ chatServiceUrl: upstream.url });
    const user = await createKey(g, 'user');
    await request(g.app).post('/api/v1/chat').set(as(user.key)).send({ message: 'hi' }).expect(200);
    await admin(g).delete(`/api/v1/admin/keys/${user.id}`).expect(200);
    const refused = await request(g.app).post('/api/v1/chat').set(as(user.key)).send({ message: 'hi' });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('unauthorized');
    expect((await request(g.app).get('/metrics')).text).toMatch(/gateway_auth_failures_total\{reason="revoked"\} 1/);
    const failure = (await g.audit.query({ type: 'auth.failure' })).records.at(-1);
    expect(failure).toMatchObject({ principal: user.id, principal_kind: 'api_key', reason: 'revoked', outcome: 'failure' });
    expect((await g.audit.query({ type: 'apikey.revoked' })).records).toHaveLength(1);
  });

  it('rotates a key without downtime: both work during the grace period, only the new one after', async () => {
    const g = buildGateway({ chatServiceUrl: upstream.url });
    const old = await createKey(g, 'user');
    const rotated = await admin(g).post(`/api/v1/admin/keys/${old.id}/rotate`, { grace_seconds: 600 });
    expect(rotated.status).toBe(201);
    await request(g.app).get('/api/v1/history').set(as(old.key)).expect(200);
    await request(g.app).get('/api/v1/history').set(as(rotated.body.key as string)).expect(200);
    const now = await admin(g).post(`/api/v1/admin/keys/${rotated.body.id as string}/rotate`, { grace_seconds: 0 });
    expect((await request(g.app).get('/api/v1/history').set(as(rotated.body.key as string))).status).toBe(401);
    await request(g.app).get('/api/v1/history').set(as(now.body.key as string)).expect(200);
    expect((await g.audit.query({ type: 'apikey.rotated' })).records).toHaveLength(2);
  });

  it('validates admin input', async () => {
    const g = buildGateway({ chatServiceUrl: upstream.url });
    expect((await admin(g).post('/api/v1/admin/keys', { name: 'x', role: 'root' })).status).toBe(400);
    expect((await admin(g).post('/api/v1/admin/keys', { name: 'x', role: 'user', __proto__: { admin: true } })).status).toBe(201);
    expect((await admin(g).post('/api/v1/admin/keys', JSON.parse('{"name":"x","role":"user","__proto__":{"role":"admin"}}') as object)).status).toBe(400);
    expect((await admin(g).delete('/api/v1/admin/keys/not-a-key')).status).toBe(400);
    expect((await admin(g).delete('/api/v1/admin/keys/aaaaaaaaaaaa')).status).toBe(404);
  });
});

describe('the audit trail through the API', () => {
  it('reads back a scripted session in order (created, blocked, rate-limited, erased) and verifies', async () => {
    const g = buildGateway({
      chatServiceUrl: upstream.url,
      overrides: { rates: { ip: { name: 'ip', limit: 100, windowSeconds: 60 }, session: { name: 'session', limit: 3, windowSeconds: 60 }, apiKey: { name: 'api_key', limit: 100, windowSeconds: 60 } } },
    });
    const traceId = randomBytes(16).toString('hex');
    const created = await request(g.app).post('/api/v1/sessions').set('traceparent', `00-${traceId}-${randomBytes(8).toString('hex')}-01`).send({});
    const { token, session_id: sessionId } = created.body as { token: string; session_id: string };
    await request(g.app).post('/api/v1/chat').set(as(token)).send({ message: 'hello' }).expect(200);
    upstream.state.safety = 'block';
    try {
      await request(g.app).post('/api/v1/chat').set(as(token)).send({ message: 'something bad' }).expect(200);
    } finally {
      upstream.state.safety = 'allow';
    }
    await request(g.app).post('/api/v1/chat').set(as(token)).send({ message: 'again' }).expect(200);
    await request(g.app).post('/api/v1/chat').set(as(token)).send({ message: 'too fast' }).expect(429);
    // Erasure is possible even while rate-limited.
    await request(g.app).delete('/api/v1/sessions/current').set(as(token)).expect(204);
    await waitFor(async () => (await g.audit.query({ principal: sessionId })).records.length >= 4, { what: 'async audit records' });
    const auditor = await admin(g).get(`/api/v1/audit?principal=${sessionId}`);
    expect(auditor.status).toBe(200);
    const types = (auditor.body.records as { type: string }[]).map((r) => r.type);
    expect(types).toEqual(['session.created', 'safety.blocked', 'ratelimit.rejected', 'session.erased']);
    expect(auditor.body.records[0]).toMatchObject({ trace_id: traceId, principal_kind: 'session', hash: expect.stringMatching(/^[\da-f]{64}$/) });
    const byTrace = await admin(g).get(`/api/v1/audit?trace_id=${traceId}`);
    expect(byTrace.body.records).toHaveLength(1);
    const verify = await admin(g).get('/api/v1/audit/verify');
    expect(verify.body).toMatchObject({ ok: true, broken_at: null });
    expect(verify.body.checked).toBeGreaterThanOrEqual(4);
    // Nothing in the trail is a credential or message text.
    const everything = JSON.stringify((await g.audit.query({ limit: 1000 })).records);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain('something bad');
  });

  it('erases a session: chat-service data first, then the token stops working, recorded', async () => {
    const g = buildGateway({ chatServiceUrl: upstream.url });
    const { token, session_id: sessionId } = (await request(g.app).post('/api/v1/sessions').send({})).body as { token: string; session_id: string };
    const exported = await request(g.app).get('/api/v1/sessions/current/export').set(as(token));
    expect(exported.status).toBe(200);
    expect(exported.body.session).toMatchObject({ id: sessionId, language: 'en' });
    await request(g.app).delete('/api/v1/sessions/current').set(as(token)).expect(204);
    expect(upstream.seen.at(-1)).toMatchObject({ method: 'DELETE', url: '/api/v1/sessions/current', identity: expect.objectContaining({ sub: sessionId }) });
    expect((await request(g.app).get('/api/v1/history').set(as(token))).body.code).toBe('session_expired');
    const types = (await g.audit.query({ principal: sessionId })).records.map((r) => r.type);
    expect(types).toEqual(['session.created', 'session.exported', 'session.erased']);
  });

  it('rejects bad audit queries with 400', async () => {
    const g = buildGateway({ chatServiceUrl: upstream.url });
    expect((await admin(g).get('/api/v1/audit?trace_id=nothex')).status).toBe(400);
    expect((await admin(g).get('/api/v1/audit?limit=5000')).status).toBe(400);
    expect((await admin(g).get('/api/v1/audit?from=yesterday')).status).toBe(400);
    expect((await admin(g).get('/api/v1/audit?unknown=1')).status).toBe(400);
  });
});
