import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { Health } from './health.js';
import { createHttpApp } from './http.js';
import { IDENTITY_HEADER, createIdentitySigner, createIdentityVerifier, identityOf, requireInternalIdentity } from './identity.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';

const secret = 'a-test-secret-that-is-long-enough-123';

function app(audience = 'chat-service') {
  const verifier = createIdentityVerifier({ secret, audience });
  return createHttpApp(
    { logger: createLogger({ service: 't', level: 'silent' }), metrics: createMetrics({ defaultMetrics: false }), health: new Health() },
    (a) => {
      a.get('/internal', requireInternalIdentity(verifier), (_req, res) => {
        res.json(identityOf(res));
      });
      a.use(express.json());
    },
  );
}

describe('internal identity', () => {
  it('accepts an identity signed with the shared secret for this audience', async () => {
    const token = await createIdentitySigner({ secret, issuer: 'gateway' }).sign({ sub: 'sess-1', kind: 'session', role: 'user', lang: 'de' }, 'chat-service');
    const res = await request(app()).get('/internal').set(IDENTITY_HEADER, token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: 'sess-1', kind: 'session', role: 'user', lang: 'de', issuer: 'gateway' });
  });

  it('reuses a token for half its lifetime, then signs a fresh one', async () => {
    let now = 1_700_000_000_000;
    const signer = createIdentitySigner({ secret, issuer: 'gateway', now: () => now });
    const first = await signer.sign({ sub: 's', kind: 'session', role: 'user' }, 'chat-service');
    expect(await signer.sign({ sub: 's', kind: 'session', role: 'user' }, 'chat-service')).toBe(first);
    expect(await signer.sign({ sub: 'other', kind: 'session', role: 'user' }, 'chat-service')).not.toBe(first);
    expect(await signer.sign({ sub: 's', kind: 'session', role: 'user' }, 'safety-service')).not.toBe(first);
    now += 31_000;
    expect(await signer.sign({ sub: 's', kind: 'session', role: 'user' }, 'chat-service')).not.toBe(first);
  });

  it('rejects a missing identity with 401', async () => {
    const res = await request(app()).get('/internal');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthorized');
  });

  it('rejects an identity signed with another secret or for another audience', async () => {
    const forged = await createIdentitySigner({ secret: 'another-secret-that-is-long-enough-456', issuer: 'x' }).sign({ sub: 's', kind: 'session', role: 'admin' }, 'chat-service');
    expect((await request(app()).get('/internal').set(IDENTITY_HEADER, forged)).status).toBe(401);
    const wrongAudience = await createIdentitySigner({ secret, issuer: 'gateway' }).sign({ sub: 's', kind: 'session', role: 'user' }, 'safety-service');
    expect((await request(app()).get('/internal').set(IDENTITY_HEADER, wrongAudience)).status).toBe(401);
    expect((await request(app()).get('/internal').set(IDENTITY_HEADER, 'not-a-jwt')).status).toBe(401);
  });
});
