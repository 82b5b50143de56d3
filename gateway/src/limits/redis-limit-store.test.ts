import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, waitFor, type RedisServer } from '@parley/testkit';
import { createRedisLimitStore } from './redis-limit-store.js';
import type { RatePolicy } from './types.js';

// What only Redis can show: atomicity across clients, key layout and expiry, Redis TIME, NOSCRIPT.

let server: RedisServer;
const clients: Redis[] = [];

async function client(): Promise<Redis> {
  const r = new Redis(server.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => 50 });
  r.on('error', () => {});
  clients.push(r);
  await waitFor(() => r.status === 'ready', { what: 'redis client ready' });
  return r;
}
const prefix = (): string => `test:${randomUUID()}:`;

beforeAll(async () => {
  server = await startRedisServer();
});
afterEach(() => {
  vi.useRealTimers();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server.stop();
});

describe('Redis limit store', () => {
  it('admits exactly 100 of 1,000 concurrent hits sent through two separate clients', async () => {
    const keyPrefix = prefix();
    const a = createRedisLimitStore(await client(), { keyPrefix });
    const b = createRedisLimitStore(await client(), { keyPrefix });
    const policy: RatePolicy = { name: 'session', limit: 100, windowSeconds: 3600 };
    const decisions = await Promise.all(Array.from({ length: 1_000 }, (_, i) => (i % 2 ? a : b).hit(policy, 'subject-1')));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(100);
    // Every admitted hit saw a distinct remaining count: 99 down to 0.
    expect(new Set(decisions.filter((d) => d.allowed).map((d) => d.remaining)).size).toBe(100);
    expect(decisions.filter((d) => !d.allowed).every((d) => d.retryAfterSeconds === 36 && d.remaining === 0)).toBe(true);
  });

  it('keeps GCRA state in one self-expiring key named by a bounded hash of the subject', async () => {
    const redis = await client();
    const keyPrefix = prefix();
    const store = createRedisLimitStore(redis, { keyPrefix });
    const subject = `ip:203.0.113.7:${'x'.repeat(10_000)}`;
    await store.hit({ name: 'ip', limit: 10, windowSeconds: 60 }, subject);
    const keys = await redis.keys(`${keyPrefix}*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^${keyPrefix}rate:ip:[\\w-]{32}$`));
    expect(keys[0]).not.toContain('203.0.113.7');
    // The key lives until TAT: one emission interval (6 s) after a single hit.
    const pttl = await redis.pttl(keys[0]!);
    expect(pttl).toBeGreaterThan(5_000);
    expect(pttl).toBeLessThanOrEqual(6_001);
  });

  it('does not touch the stored state on a rejected hit', async () => {
    const redis = await client();
    const keyPrefix = prefix();
    const store = createRedisLimitStore(redis, { keyPrefix });
    const policy = { name: 'p', limit: 2, windowSeconds: 60 };
    await store.hit(policy, 's');
    await store.hit(policy, 's');
    const [key] = await redis.keys(`${keyPrefix}*`);
    const before = await redis.get(key!);
    for (let i = 0; i < 10; i++) expect((await store.hit(policy, 's')).allowed).toBe(false);
    expect(await redis.get(key!)).toBe(before);
  });

  it("uses Redis TIME: a replica whose clock is hours off sees the same limit", async () => {
    const keyPrefix = prefix();
    const a = createRedisLimitStore(await client(), { keyPrefix });
    const b = createRedisLimitStore(await client(), { keyPrefix });
    const policy = { name: 'p', limit: 2, windowSeconds: 3600 };
    await a.hit(policy, 's');
    await a.hit(policy, 's');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 3 * 3_600_000);
    expect(await b.hit(policy, 's')).toMatchObject({ allowed: false, retryAfterSeconds: 1800 });
  });

  it('reloads its scripts transparently after SCRIPT FLUSH (NOSCRIPT)', async () => {
    const redis = await client();
    const store = createRedisLimitStore(redis, { keyPrefix: prefix() });
    const policy = { name: 'p', limit: 5, windowSeconds: 60 };
    await store.hit(policy, 's');
    await redis.script('FLUSH');
    expect(await store.hit(policy, 's')).toMatchObject({ allowed: true, remaining: 3 });
    const { reservation } = await store.reserve({ name: 'tokens', limit: 10 }, 's', 5);
    await redis.script('FLUSH');
    await reservation!.settle(3);
    expect((await store.reserve({ name: 'tokens', limit: 10 }, 's', 8)).decision).toMatchObject({ allowed: false, remaining: 7 });
  });

  it('sets a lease with NX and PX and a random token, removed only by its holder', async () => {
    const redis = await client();
    const keyPrefix = prefix();
    const store = createRedisLimitStore(redis, { keyPrefix });
    const lease = await store.acquire('stream', 'session-1', 5_000);
    const [key] = await redis.keys(`${keyPrefix}*`);
    expect(key).toMatch(new RegExp(`^${keyPrefix}lease:stream:[\\w-]{32}$`));
    expect(await redis.pttl(key!)).toBeGreaterThan(4_000);
    expect(await redis.get(key!)).toMatch(/^[\w-]{22}$/);
    await redis.set(key!, 'someone-else', 'PX', 5_000); // taken over after an expiry
    await lease!.release();
    expect(await redis.get(key!)).toBe('someone-else');
  });

  it('keeps a budget per UTC day in keys that expire after two days', async () => {
    const redis = await client();
    const keyPrefix = prefix();
    let now = Date.parse('2025-06-01T23:59:59.000Z');
    const store = createRedisLimitStore(redis, { keyPrefix, now: () => now });
    const policy = { name: 'tokens', limit: 100 };
    const { decision, reservation } = await store.reserve(policy, 'session-1', 100);
    expect(decision).toMatchObject({ allowed: true, remaining: 0, resetSeconds: 1 });
    const keys = (await redis.keys(`${keyPrefix}*`)).sort();
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(new RegExp(`^${keyPrefix}budget:\\{tokens:[\\w-]{32}:2025-06-01\\}$`));
    expect(keys[1]).toBe(`${keys[0]}:reservations`);
    for (const k of keys) {
      expect(await redis.pttl(k)).toBeGreaterThan(172_790_000);
      expect(await redis.pttl(k)).toBeLessThanOrEqual(172_800_000);
    }
    now = Date.parse('2025-06-02T00:00:00.000Z');
    expect((await store.reserve(policy, 'session-1', 100)).decision).toMatchObject({ allowed: true, remaining: 0, resetSeconds: 86_400 });
    await reservation!.settle(100);
    expect(await redis.hget(keys[0]!, 'used')).toBe('100'); // counted on the day it was reserved
    expect(await redis.hget(keys[0]!, 'reserved')).toBe('0');
  });

  it('stores the kill switch as a hash an operator can read and set with redis-cli', async () => {
    const redis = await client();
    const keyPrefix = prefix();
    const store = createRedisLimitStore(redis, { keyPrefix });
    await store.setKillSwitch({ enabled: true, reason: 'incident', changed_at: '2025-06-01T12:00:00.000Z', changed_by: 'ops' });
    expect(await redis.hgetall(`${keyPrefix}killswitch`)).toEqual({
      enabled: '1',
      reason: 'incident',
      changed_at: '2025-06-01T12:00:00.000Z',
      changed_by: 'ops',
    });
    await redis.hset(`${keyPrefix}killswitch`, 'enabled', '0');
    expect((await store.killSwitch()).enabled).toBe(false);
    await redis.hset(`${keyPrefix}killswitch`, 'enabled', 'true');
    expect((await store.killSwitch()).enabled).toBe(true);
  });
});
