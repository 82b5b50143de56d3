import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { Redis } from 'ioredis';
import { NotFoundError, ValidationError } from '@parley/platform';
import { freePort, startRedisServer, type RedisServer } from '@parley/testkit';
import {
  AuthenticationError,
  IdentityUnavailableError,
  authFailureReason,
  createMemoryApiKeyStore,
  createRedisApiKeyStore,
  principalFromApiKey,
  type ApiKeyStore,
  type AuthFailureReason,
} from './index.js';

const PEPPER = 'test-pepper-0123456789abcdef';

/** A clock the test moves by hand. */
function clock(start = '2030-01-01T00:00:00.000Z') {
  let t = Date.parse(start);
  return { now: () => new Date(t), advance: (seconds: number) => void (t += seconds * 1000) };
}

async function reasonOf(promise: Promise<unknown>): Promise<AuthFailureReason | undefined> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return authFailureReason(err);
}

/** Two stores that stand for two gateway replicas, sharing one clock. */
interface Replicas {
  a: ApiKeyStore;
  b: ApiKeyStore;
  clock: ReturnType<typeof clock>;
}

let server: RedisServer;
const redisClient = () => server.client();

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.stop();
});

const backends: { name: string; replicas: () => Promise<Replicas> }[] = [
  {
    name: 'memory',
    replicas: async () => {
      const c = clock();
      // One process, one store: the "other replica" is the same store.
      const store = createMemoryApiKeyStore({ pepper: PEPPER, now: c.now });
      return { a: store, b: store, clock: c };
    },
  },
  {
    name: 'Redis',
    replicas: async () => {
      const c = clock();
      await redisClient().flushdb();
      return {
        a: createRedisApiKeyStore(redisClient(), { pepper: PEPPER, now: c.now }),
        b: createRedisApiKeyStore(redisClient(), { pepper: PEPPER, now: c.now }),
        clock: c,
      };
    },
  },
];

describe.each(backends)('API keys ($name store)', ({ replicas }) => {
  let r: Replicas;
  beforeEach(async () => {
    r = await replicas();
  });

  it('issues a pk_<id>_<secret> key once and authenticates it on another replica', async () => {
    const { record, key } = await r.a.create({ name: 'billing', role: 'user' });
    expect(key).toMatch(/^pk_[a-z2-7]{12}_[\w-]{43}$/);
    expect(key.startsWith(`pk_${record.id}_`)).toBe(true);
    expect(record).toEqual({
      id: record.id,
      name: 'billing',
      client: 'billing',
      role: 'user',
      created_at: '2030-01-01T00:00:00.000Z',
      expires_at: null,
      revoked_at: null,
      rotated_from: null,
    });
    expect(await r.b.authenticate(key)).toEqual(record);
    expect(principalFromApiKey(record)).toEqual({ kind: 'api_key', id: record.id, role: 'user', client: 'billing', name: 'billing' });
  });

  it('never returns the key or its hash again', async () => {
    const { record, key } = await r.a.create({ name: 'n', role: 'admin', client: 'c' });
    const secret = key.slice(`pk_${record.id}_`.length);
    const seen = JSON.stringify([await r.b.get(record.id), await r.b.list(), await r.b.list({ client: 'c', includeRevoked: true }), await r.b.revoke(record.id)]);
    expect(seen).not.toContain(secret);
    expect(seen).not.toContain('hash');
    expect(Object.keys((await r.b.get(record.id))!).sort()).toEqual(
      ['client', 'created_at', 'expires_at', 'id', 'name', 'revoked_at', 'role', 'rotated_from'].sort(),
    );
  });

  it('rejects a wrong secret and an unknown id alike, as unknown', async () => {
    const { record, key } = await r.a.create({ name: 'n', role: 'user' });
    const wrongSecret = `pk_${record.id}_${'A'.repeat(43)}`;
    const unknownId = `pk_${'a'.repeat(12)}_${key.slice(-43)}`;
    const [e1, e2] = await Promise.all([r.b.authenticate(wrongSecret).catch((e: unknown) => e), r.b.authenticate(unknownId).catch((e: unknown) => e)]);
    expect(e1).toBeInstanceOf(AuthenticationError);
    expect(e2).toBeInstanceOf(AuthenticationError);
    expect([(e1 as AuthenticationError).reason, (e2 as AuthenticationError).reason]).toEqual(['unknown', 'unknown']);
    // Same answer for both: the response does not tell an attacker which ids exist.
    expect((e1 as AuthenticationError).detail).toBe((e2 as AuthenticationError).detail);
    expect((e1 as AuthenticationError).status).toBe(401);
    expect((e1 as AuthenticationError).code).toBe('unauthorized');
    expect((e1 as AuthenticationError).keyId).toBeUndefined();
  });

  it.each(['', 'pk_', 'pk_abc_def', 'sk-abcdef', 'pst_x', ' pk_aaaaaaaaaaaa_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'pk_AAAAAAAAAAAA_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'])(
    'rejects the malformed key %j as malformed',
    async (key) => {
      expect(await reasonOf(r.a.authenticate(key))).toBe('malformed');
    },
  );

  it('a revocation on one replica is effective on the other at once', async () => {
    const { record, key } = await r.a.create({ name: 'n', role: 'user' });
    await r.b.authenticate(key); // "warm" on replica b: nothing is cached there
    const revoked = await r.a.revoke(record.id);
    expect(revoked?.revoked_at).toBe('2030-01-01T00:00:00.000Z');
    const err = await r.b.authenticate(key).catch((e: unknown) => e);
    expect(authFailureReason(err)).toBe('revoked');
    expect((err as AuthenticationError).keyId).toBe(record.id);
    // Revoking again keeps the first revocation time.
    r.clock.advance(60);
    expect((await r.b.revoke(record.id))?.revoked_at).toBe('2030-01-01T00:00:00.000Z');
  });

  it('tells only the holder of the real secret that a key was revoked', async () => {
    const { record } = await r.a.create({ name: 'n', role: 'user' });
    await r.a.revoke(record.id);
    expect(await reasonOf(r.b.authenticate(`pk_${record.id}_${'B'.repeat(43)}`))).toBe('unknown');
  });

  it('expires a key at its expires_at, by the injected clock', async () => {
    const { key } = await r.a.create({ name: 'n', role: 'auditor', expires_at: '2030-01-01T01:00:00Z' });
    r.clock.advance(3599);
    expect((await r.b.authenticate(key)).expires_at).toBe('2030-01-01T01:00:00.000Z');
    r.clock.advance(1);
    expect(await reasonOf(r.b.authenticate(key))).toBe('expired');
  });

  it('rotation with grace: both keys work during the grace period, then only the new one', async () => {
    const old = await r.a.create({ name: 'etl', role: 'user', client: 'data-team' });
    const rotated = await r.a.rotate(old.record.id, { graceSeconds: 600 });
    expect(rotated.key).not.toBe(old.key);
    expect(rotated.record).toMatchObject({ name: 'etl', role: 'user', client: 'data-team', rotated_from: old.record.id, expires_at: null });
    expect(rotated.previous).toMatchObject({ id: old.record.id, expires_at: '2030-01-01T00:10:00.000Z', revoked_at: null });
    r.clock.advance(599);
    expect((await r.b.authenticate(old.key)).id).toBe(old.record.id);
    expect((await r.b.authenticate(rotated.key)).id).toBe(rotated.record.id);
    r.clock.advance(1);
    expect(await reasonOf(r.b.authenticate(old.key))).toBe('expired');
    expect((await r.b.authenticate(rotated.key)).id).toBe(rotated.record.id);
    expect((await r.b.list({ client: 'data-team' })).map((k) => k.id).sort()).toEqual([old.record.id, rotated.record.id].sort());
  });

  it('rotation with no grace revokes the old key now', async () => {
    const old = await r.a.create({ name: 'etl', role: 'admin' });
    const rotated = await r.a.rotate(old.record.id, { graceSeconds: 0 });
    expect(rotated.previous.revoked_at).toBe('2030-01-01T00:00:00.000Z');
    expect(await reasonOf(r.b.authenticate(old.key))).toBe('revoked');
    expect((await r.b.authenticate(rotated.key)).role).toBe('admin');
  });

  it('rotation never extends the life of the old key', async () => {
    const old = await r.a.create({ name: 'etl', role: 'user', expires_at: '2030-01-01T00:05:00Z' });
    const rotated = await r.a.rotate(old.record.id, { graceSeconds: 3600 });
    expect(rotated.previous.expires_at).toBe('2030-01-01T00:05:00.000Z');
  });

  it('rotating a revoked key issues a replacement and leaves the old one revoked', async () => {
    const old = await r.a.create({ name: 'leaked', role: 'user' });
    await r.a.revoke(old.record.id);
    r.clock.advance(60);
    const rotated = await r.a.rotate(old.record.id, { graceSeconds: 600, expires_at: '2030-02-01T00:00:00Z' });
    expect(rotated.previous).toMatchObject({ revoked_at: '2030-01-01T00:00:00.000Z', expires_at: '2030-01-01T00:11:00.000Z' });
    expect(rotated.record).toMatchObject({ rotated_from: old.record.id, expires_at: '2030-02-01T00:00:00.000Z' });
    expect(await reasonOf(r.b.authenticate(old.key))).toBe('revoked');
    expect((await r.b.authenticate(rotated.key)).id).toBe(rotated.record.id);
  });

  it('rotating an unknown key is a 404', async () => {
    await expect(r.a.rotate('aaaaaaaaaaaa')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists several active keys per client, hiding revoked ones unless asked', async () => {
    const k1 = await r.a.create({ name: 'one', role: 'user', client: 'acme' });
    r.clock.advance(1);
    const k2 = await r.a.create({ name: 'two', role: 'user', client: 'acme' });
    r.clock.advance(1);
    const other = await r.a.create({ name: 'three', role: 'user', client: 'globex' });
    await r.a.revoke(k1.record.id);
    expect((await r.b.list({ client: 'acme' })).map((k) => k.id)).toEqual([k2.record.id]);
    expect((await r.b.list({ client: 'acme', includeRevoked: true })).map((k) => k.id)).toEqual([k1.record.id, k2.record.id]);
    expect((await r.b.list()).map((k) => k.id)).toEqual([k2.record.id, other.record.id]);
    expect(await r.b.list({ client: 'nobody' })).toEqual([]);
  });

  it('answers undefined for unknown ids on get and revoke', async () => {
    expect(await r.a.get('aaaaaaaaaaaa')).toBeUndefined();
    expect(await r.a.revoke('aaaaaaaaaaaa')).toBeUndefined();
  });

  it('refuses invalid input with a 400', async () => {
    // @ts-expect-error an unknown role from an untyped caller
    await expect(r.a.create({ name: 'n', role: 'root' })).rejects.toBeInstanceOf(ValidationError);
    await expect(r.a.create({ name: ' ', role: 'user' })).rejects.toBeInstanceOf(ValidationError);
    await expect(r.a.create({ name: 'n', role: 'user', expires_at: 'tomorrow' })).rejects.toBeInstanceOf(ValidationError);
    await expect(r.a.create({ name: 'n', role: 'user', expires_at: '2029-12-31T23:59:59Z' })).rejects.toBeInstanceOf(ValidationError);
    await expect(r.a.rotate('aaaaaaaaaaaa', { graceSeconds: -1 })).rejects.toBeInstanceOf(ValidationError);
    expect(await r.a.list()).toEqual([]);
  });
});

describe('API keys in Redis', () => {
  it('keeps no raw key or secret anywhere in Redis, only an HMAC', async () => {
    const redis = redisClient();
    await redis.flushdb();
    const store = createRedisApiKeyStore(redis, { pepper: PEPPER });
    const issued = [await store.create({ name: 'a', role: 'user', client: 'x' }), await store.create({ name: 'b', role: 'admin' })];
    const rotated = await store.rotate(issued[0]!.record.id);
    issued.push(rotated);
    let dump = '';
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', '*', 'COUNT', 100);
      cursor = next;
      for (const k of keys) {
        const type = await redis.type(k);
        const value = type === 'hash' ? await redis.hgetall(k) : type === 'set' ? await redis.smembers(k) : await redis.get(k);
        dump += `${k}=${JSON.stringify(value)}\n`;
      }
    } while (cursor !== '0');
    expect(dump).toContain(`parley:apikey:${issued[0]!.record.id}`);
    expect(dump).toContain('secret_hash');
    for (const { record, key } of issued) {
      const secret = key.slice(`pk_${record.id}_`.length);
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(key);
      expect(dump).not.toContain(Buffer.from(secret, 'base64url').toString('hex'));
    }
  });

  it('a different pepper (another deployment) does not accept the keys', async () => {
    const redis = redisClient();
    const { key } = await createRedisApiKeyStore(redis, { pepper: PEPPER }).create({ name: 'n', role: 'user' });
    expect(await reasonOf(createRedisApiKeyStore(redis, { pepper: 'another-pepper-0123456789' }).authenticate(key))).toBe('unknown');
  });

  it('Redis being down is a retryable 503 with reason unavailable, not a 401', async () => {
    const dead = new Redis(`redis://127.0.0.1:${await freePort()}`, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    dead.on('error', () => {}); // nothing listens on that port
    onTestFinished(() => dead.disconnect());
    const store = createRedisApiKeyStore(dead, { pepper: PEPPER });
    const err = await store.authenticate(`pk_${'a'.repeat(12)}_${'A'.repeat(43)}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdentityUnavailableError);
    expect((err as IdentityUnavailableError).status).toBe(503);
    expect((err as IdentityUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
    expect(authFailureReason(err)).toBe('unavailable');
    await expect(store.ping()).rejects.toBeInstanceOf(IdentityUnavailableError);
  });
});

describe('API key store options', () => {
  it('refuses a short pepper at start', () => {
    expect(() => createMemoryApiKeyStore({ pepper: 'short' })).toThrow(/pepper/);
  });
});
