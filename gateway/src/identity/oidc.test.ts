import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompactSign, SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { freePort } from '@parley/testkit';
import { AuthenticationError, IdentityUnavailableError, authFailureReason, createOidcVerifier, type AuthFailureReason, type OidcOptions } from './index.js';

const ISSUER = 'https://idp.example.test/realms/parley';
const AUDIENCE = 'parley-gateway';

interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(alg: 'RS256' | 'ES256', kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A tiny IdP: serves a JWKS the test can change, counts fetches, can fail on purpose. */
interface Jwks {
  url: string;
  keys: JWK[];
  fetches: number;
  failWith: number | undefined;
  close(): Promise<void>;
}

async function serveJwks(keys: JWK[]): Promise<Jwks> {
  const state = { keys, fetches: 0, failWith: undefined as number | undefined };
  const server: Server = createServer((_req, res) => {
    state.fetches++;
    if (state.failWith !== undefined) {
      res.writeHead(state.failWith).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: state.keys }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/protocol/openid-connect/certs`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function claims(overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
    azp: 'reporting-cli',
    iat: now,
    exp: now + 300,
    roles: ['offline_access', 'parley-user'],
    ...overrides,
  };
}

async function sign(key: SigningKey, payload: JWTPayload = claims(), header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }).sign(key.privateKey);
}

let rsa: SigningKey;
let ec: SigningKey;
let rogue: SigningKey;
let idp: Jwks;

function verifier(overrides: Partial<OidcOptions> = {}) {
  return createOidcVerifier({
    jwksUrl: idp.url,
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['RS256', 'ES256'],
    roleClaim: 'roles',
    roleMap: { 'parley-user': 'user', 'parley-admin': 'admin', 'parley-auditor': 'auditor' },
    subjectSecret: 'subject-secret-0123456789',
    ...overrides,
  });
}

async function reasonOf(promise: Promise<unknown>): Promise<AuthFailureReason | undefined> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return authFailureReason(err);
}

beforeAll(async () => {
  [rsa, ec, rogue] = await Promise.all([signingKey('RS256', 'rsa-1'), signingKey('ES256', 'ec-1'), signingKey('RS256', 'rsa-1')]);
  idp = await serveJwks([rsa.jwk, ec.jwk]);
});
afterAll(async () => {
  await idp.close();
});

describe('OIDC verifier', () => {
  it('turns a valid RS256 token into a pseudonymous principal with the mapped role', async () => {
    const token = await sign(rsa);
    const principal = await verifier().verify(token);
    expect(principal).toEqual({ kind: 'oidc', id: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown, role: 'user', client: 'reporting-cli' });
    // Stable across calls and replicas, different per subject, and never the raw subject or token.
    expect((await verifier().verify(token)).id).toBe(principal.id);
    expect((await verifier().verify(await sign(rsa, claims({ sub: 'someone-else' })))).id).not.toBe(principal.id);
    const logged = JSON.stringify(principal);
    expect(logged).not.toContain('f81d4fae');
    expect(logged).not.toContain(token.split('.')[2]);
  });

  it('verifies EC (ES256) tokens and reads the role from a dotted path', async () => {
    const token = await sign(ec, claims({ roles: undefined, realm_access: { roles: ['parley-auditor'] } }));
    expect((await verifier({ roleClaim: 'realm_access.roles' }).verify(token)).role).toBe('auditor');
  });

  it('reads a namespaced claim whose name is a URL full of dots', async () => {
    const token = await sign(rsa, claims({ 'https://parley.example/roles': 'parley-admin' }));
    expect((await verifier({ roleClaim: 'https://parley.example/roles' }).verify(token)).role).toBe('admin');
  });

  it('with several mapped roles, the most privileged wins', async () => {
    const v = verifier();
    expect((await v.verify(await sign(rsa, claims({ roles: ['parley-user', 'parley-auditor'] })))).role).toBe('auditor');
    expect((await v.verify(await sign(rsa, claims({ roles: ['parley-auditor', 'parley-admin', 'parley-user'] })))).role).toBe('admin');
  });

  it('refuses a token without a mapped role (no_role), including prototype names', async () => {
    const v = verifier();
    expect(await reasonOf(v.verify(await sign(rsa, claims({ roles: ['offline_access'] }))))).toBe('no_role');
    expect(await reasonOf(v.verify(await sign(rsa, claims({ roles: ['constructor', '__proto__', 'toString'] }))))).toBe('no_role');
    expect(await reasonOf(v.verify(await sign(rsa, claims({ roles: undefined }))))).toBe('no_role');
    expect(await reasonOf(v.verify(await sign(rsa, claims({ roles: { admin: true } }))))).toBe('no_role');
  });

  it('refuses an expired token as expired, and accepts one within the clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    const err = await verifier()
      .verify(await sign(rsa, claims({ iat: now - 7200, exp: now - 3600 })))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).reason).toBe('expired');
    expect((err as AuthenticationError).status).toBe(401);
    const justExpired = await sign(rsa, claims({ exp: now - 10 }));
    expect((await verifier({ clockToleranceSeconds: 30 }).verify(justExpired)).role).toBe('user');
    expect(await reasonOf(verifier({ clockToleranceSeconds: 0 }).verify(justExpired))).toBe('expired');
  });

  it('judges expiry by the injected clock', async () => {
    const token = await sign(rsa);
    const inAnHour = () => new Date(Date.now() + 3_600_000);
    expect(await reasonOf(verifier({ now: inAnHour }).verify(token))).toBe('expired');
  });

  it('refuses a token for another audience (wrong_audience) or from another issuer (wrong_issuer)', async () => {
    const v = verifier();
    expect(await reasonOf(v.verify(await sign(rsa, claims({ aud: 'some-other-api' }))))).toBe('wrong_audience');
    expect(await reasonOf(v.verify(await sign(rsa, claims({ iss: 'https://evil.example.test/' }))))).toBe('wrong_issuer');
  });

  it('refuses a token signed by a key not in the JWKS, even under a known kid (bad_signature)', async () => {
    const v = verifier();
    expect(await reasonOf(v.verify(await sign(rogue)))).toBe('bad_signature'); // kid rsa-1, wrong key
    expect(await reasonOf(v.verify(await sign({ ...rogue, kid: 'rogue' })))).toBe('bad_signature');
  });

  it('ignores a key the token brings along in its header (jwk)', async () => {
    const token = await sign({ ...rogue, kid: 'self-signed' }, claims(), { jwk: rogue.jwk });
    expect(await reasonOf(verifier().verify(token))).toBe('bad_signature');
  });

  it('refuses an unsigned alg:none token (bad_algorithm)', async () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims({ roles: ['parley-admin'] }))}.`;
    expect(await reasonOf(verifier().verify(token))).toBe('bad_algorithm');
    expect(await reasonOf(verifier().verify(`${b64url({ alg: 'none', kid: 'rsa-1' })}.${b64url(claims())}.c2ln`))).toBe('bad_algorithm');
  });

  it('refuses an HS256 token keyed with the public key (algorithm confusion)', async () => {
    const publicPem = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
    const forged = await new SignJWT(claims({ roles: ['parley-admin'] }))
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1', typ: 'JWT' })
      .sign(publicPem);
    expect(await reasonOf(verifier().verify(forged))).toBe('bad_algorithm');
    const forgedJwk = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).sign(new TextEncoder().encode(JSON.stringify(rsa.jwk)));
    expect(await reasonOf(verifier().verify(forgedJwk))).toBe('bad_algorithm');
  });

  it('refuses an algorithm that is not pinned, even when the key is in the JWKS', async () => {
    expect(await reasonOf(verifier({ algorithms: ['RS256'] }).verify(await sign(ec)))).toBe('bad_algorithm');
  });

  it('refuses tokens that are not well-formed JWTs, or lack sub or exp, as malformed', async () => {
    const v = verifier();
    for (const token of ['', 'abc', 'a.b', 'a.b.c', `x.${'y'.repeat(9000)}.z`]) {
      expect(await reasonOf(v.verify(token)), token.slice(0, 40)).toBe('malformed');
    }
    // Properly signed, but the payload is not a claims set.
    const notClaims = await new CompactSign(new TextEncoder().encode('not json')).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).sign(rsa.privateKey);
    expect(await reasonOf(v.verify(notClaims))).toBe('malformed');
    const { sub: _sub, ...noSub } = claims();
    const { exp: _exp, ...noExp } = claims();
    expect(await reasonOf(v.verify(await sign(rsa, noSub)))).toBe('malformed');
    expect(await reasonOf(v.verify(await sign(rsa, noExp)))).toBe('malformed');
  });

  it('follows key rotation at the IdP: a new kid triggers one JWKS refetch and then verifies', async () => {
    const rotatingIdp = await serveJwks([rsa.jwk]);
    try {
      const v = verifier({ jwksUrl: rotatingIdp.url, jwksCooldownSeconds: 0 });
      await v.verify(await sign(rsa));
      expect(rotatingIdp.fetches).toBe(1);
      const next = await signingKey('RS256', 'rsa-2');
      rotatingIdp.keys = [rsa.jwk, next.jwk];
      expect((await v.verify(await sign(next))).role).toBe('user');
      expect(rotatingIdp.fetches).toBe(2);
      await v.verify(await sign(next));
      await v.verify(await sign(rsa));
      expect(rotatingIdp.fetches).toBe(2);
    } finally {
      await rotatingIdp.close();
    }
  });

  it('an unknown kid costs exactly one refetch, and within the cooldown none', async () => {
    const watchedIdp = await serveJwks([rsa.jwk]);
    try {
      const eager = verifier({ jwksUrl: watchedIdp.url, jwksCooldownSeconds: 0 });
      await eager.verify(await sign(rsa));
      expect(await reasonOf(eager.verify(await sign({ ...rogue, kid: 'nobody' })))).toBe('bad_signature');
      expect(watchedIdp.fetches).toBe(2);

      // Default cooldown: a burst of made-up kids does not turn the gateway into a JWKS flooder.
      const guarded = verifier({ jwksUrl: watchedIdp.url });
      await guarded.verify(await sign(rsa));
      const before = watchedIdp.fetches;
      const burst = await Promise.all(Array.from({ length: 10 }, async (_, i) => reasonOf(guarded.verify(await sign({ ...rogue, kid: `made-up-${i}` })))));
      expect(new Set(burst)).toEqual(new Set(['bad_signature']));
      expect(watchedIdp.fetches).toBe(before);
    } finally {
      await watchedIdp.close();
    }
  });

  it('when the JWKS cannot be fetched, fails as unavailable (503), not as a bad token', async () => {
    const down = verifier({ jwksUrl: `http://127.0.0.1:${await freePort()}/certs` });
    const err = await down.verify(await sign(rsa)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdentityUnavailableError);
    expect(authFailureReason(err)).toBe('unavailable');
    expect((err as IdentityUnavailableError).status).toBe(503);
    expect((err as IdentityUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
  });

  it('when the IdP answers its JWKS with an error, fails as unavailable and recovers once it is back', async () => {
    const flaky = await serveJwks([rsa.jwk]);
    try {
      flaky.failWith = 503;
      const v = verifier({ jwksUrl: flaky.url });
      const token = await sign(rsa);
      expect(await reasonOf(v.verify(token))).toBe('unavailable');
      flaky.failWith = undefined;
      expect((await v.verify(token)).role).toBe('user');
    } finally {
      await flaky.close();
    }
  });

  it('refuses unsafe configuration at start', () => {
    expect(() => verifier({ algorithms: ['HS256'] })).toThrow(/asymmetric/);
    expect(() => verifier({ algorithms: ['none'] })).toThrow(/asymmetric/);
    expect(() => verifier({ algorithms: [] })).toThrow(/algorithm/);
    expect(() => verifier({ jwksUrl: 'http://idp.example.test/certs' })).toThrow(/https/);
    expect(() => verifier({ subjectSecret: 'short' })).toThrow(/secret/);
    // @ts-expect-error a role that does not exist, from an untyped config file
    expect(() => verifier({ roleMap: { x: 'superuser' } })).toThrow(/role/);
    expect(() => verifier({ jwksUrl: 'https://idp.example.test/certs', algorithms: undefined })).not.toThrow();
  });
});
