import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, waitFor, type RedisServer } from '@parley/testkit';
import { secondsToUtcMidnight } from './keys.js';
import { createMemoryLimitStore } from './memory-limit-store.js';
import { createRedisLimitStore } from './redis-limit-store.js';
import type { BudgetPolicy, LimitStore, RatePolicy } from './types.js';
import { LimitArgumentError } from './validate.js';

// One behavioural suite, run against both stores: the memory twin must behave like Redis.

let server: RedisServer;
const clients: Redis[] = [];

async function client(): Promise<Redis> {
  const r = new Redis(server.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => 50 });
  r.on('error', () => {}); // the offline queue is off: commands before 'ready' would fail
  clients.push(r);
  await waitFor(() => r.status === 'ready', { what: 'redis client ready' });
  return r;
}

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server.stop();
});

interface StoreOptions {
  reservationTtlMs?: number;
}
interface Harness {
  name: string;
  /** Two replicas sharing one state: the same memory store twice, or two Redis clients. */
  replicas(options?: StoreOptions): Promise<[LimitStore, LimitStore]>;
}

const harnesses: Harness[] = [
  {
    name: 'memory store',
    async replicas(options = {}) {
      const store = createMemoryLimitStore(options);
      return [store, store];
    },
  },
  {
    name: 'Redis store',
    async replicas(options = {}) {
      // A fresh key prefix per test keeps tests apart on the shared server.
      const keyPrefix = `test:${randomUUID()}:`;
      return [createRedisLimitStore(await client(), { ...options, keyPrefix }), createRedisLimitStore(await client(), { ...options, keyPrefix })];
    },
  },
];

describe.each(harnesses)('$name', (harness) => {
  describe('several policies in one step (hitAll)', () => {
    const ip: RatePolicy = { name: 'ip', limit: 5, windowSeconds: 3600 };
    const session: RatePolicy = { name: 'session', limit: 2, windowSeconds: 3600 };

    it('charges every policy when all allow, and none when one refuses', async () => {
      const [a] = await harness.replicas();
      const both = () => a.hitAll([{ policy: ip, subject: '10.0.0.1' }, { policy: session, subject: 's1' }]);
      expect((await both()).map((d) => [d.policy.name, d.allowed, d.remaining])).toEqual([['ip', true, 4], ['session', true, 1]]);
      expect((await both()).map((d) => d.allowed)).toEqual([true, true]);
      const refused = await both();
      expect(refused.map((d) => d.allowed)).toEqual([true, false]);
      expect(refused[1]?.retryAfterSeconds).toBeGreaterThan(0);
      // The refused request did not use up the address's allowance: 3 left, not 2.
      const other = await a.hitAll([{ policy: ip, subject: '10.0.0.1' }, { policy: session, subject: 's2' }]);
      expect(other[0]).toMatchObject({ allowed: true, remaining: 2 });
    });

    it('admits exactly the smallest limit under 300 concurrent calls from two replicas', async () => {
      const [a, b] = await harness.replicas();
      const results = await Promise.all(
        Array.from({ length: 300 }, (_, i) => (i % 2 ? a : b).hitAll([{ policy: { ...ip, limit: 1000 }, subject: 'shared-ip' }, { policy: { ...session, limit: 40 }, subject: 'shared-session' }])),
      );
      expect(results.filter((r) => r.every((d) => d.allowed)).length).toBe(40);
      const [ipAfter] = await a.hitAll([{ policy: { ...ip, limit: 1000 }, subject: 'shared-ip' }]);
      expect(ipAfter?.remaining).toBe(1000 - 40 - 1);
    });

    it('answers an empty list without a round trip', async () => {
      const [a] = await harness.replicas();
      expect(await a.hitAll([])).toEqual([]);
    });
  });

  describe('chat admission (admit)', () => {
    const tokens: BudgetPolicy = { name: 'tokens', limit: 1000 };
    const cost: BudgetPolicy = { name: 'cost', limit: 500 };
    const request = (subject: string, tokensAmount = 300, costAmount = 100) => ({
      lease: { name: 'chat', subject, ttlMs: 60_000 },
      budgets: [
        { policy: tokens, subject, amount: tokensAmount },
        { policy: cost, subject: 'global', amount: costAmount },
      ],
    });

    it('holds the slot and reserves every budget, then settles them and frees the slot in one step', async () => {
      const [a, b] = await harness.replicas();
      const first = await a.admit(request('s1'));
      expect(first).toMatchObject({ admitted: true, decisions: [{ remaining: 700, used: 300 }, { remaining: 400, used: 100 }] });
      expect(await b.admit(request('s1'))).toEqual({ admitted: false, refusal: 'lease' });
      if (!first.admitted) throw new Error('not admitted');
      await first.finish([450, 120]);
      await first.finish([1, 1]); // only the first finish counts
      const next = await b.admit(request('s1', 100, 10));
      expect(next).toMatchObject({ admitted: true, decisions: [{ remaining: 1000 - 450 - 100, used: 450 + 100 }, { remaining: 500 - 120 - 10, used: 120 + 10 }] });
      if (next.admitted) await next.finish(null);
      const after = await a.reserve(tokens, 's1', 1);
      expect(after.decision.remaining).toBe(1000 - 450 - 1);
    });

    it('refuses all of it when one budget refuses: no slot and no reservation stay behind', async () => {
      const [a] = await harness.replicas();
      const refused = await a.admit(request('s2', 300, 600));
      expect(refused).toMatchObject({ admitted: false, refusal: 'budget', refused: { allowed: false, policy: { name: 'cost' }, used: 0 } });
      const admitted = await a.admit(request('s2', 1000, 500));
      expect(admitted).toMatchObject({ admitted: true, decisions: [{ remaining: 0 }, { remaining: 0 }] });
    });

    it('refuses while the kill switch is on, with its reason, taking nothing', async () => {
      const [a, b] = await harness.replicas();
      await a.setKillSwitch({ enabled: true, reason: 'incident', changed_by: 'ops' });
      expect(await b.admit(request('s3'))).toMatchObject({ admitted: false, refusal: 'kill_switch', killSwitch: { enabled: true, reason: 'incident', changed_by: 'ops' } });
      await a.setKillSwitch({ enabled: false });
      expect((await b.admit(request('s3'))).admitted).toBe(true);
    });

    it('admits exactly one of 50 concurrent turns of one session across two replicas', async () => {
      const [a, b] = await harness.replicas();
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).admit(request('s4', 1, 1))));
      expect(results.filter((r) => r.admitted)).toHaveLength(1);
      expect(results.filter((r) => !r.admitted && r.refusal === 'lease')).toHaveLength(49);
    });

    it('admits concurrent turns without a slot (API clients), each reserving and settling its own budget', async () => {
      const [a, b] = await harness.replicas();
      const { lease: _none, ...unleased } = request('k1', 100, 10);
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).admit(unleased)));
      expect(results.every((r) => r.admitted)).toBe(true);
      for (const r of results) if (r.admitted) await r.finish([50, 5]);
      const after = await a.reserve(tokens, 'k1', 1);
      expect(after.decision.remaining).toBe(1000 - 6 * 50 - 1);
    });
  });

  describe('rate limits (GCRA)', () => {
    it('admits a fresh subject its whole burst at once, then rejects, with exact remaining, reset and retry-after', async () => {
      const [store] = await harness.replicas();
      const policy: RatePolicy = { name: 'session', limit: 3, windowSeconds: 3600 };
      const decisions = [];
      for (let i = 0; i < 4; i++) decisions.push(await store.hit(policy, 'sub-1'));
      // One request per 1200 s is replenished; reset is the time until the whole quota is back.
      expect(decisions).toEqual([
        { policy, allowed: true, remaining: 2, resetSeconds: 1200, retryAfterSeconds: 0 },
        { policy, allowed: true, remaining: 1, resetSeconds: 2400, retryAfterSeconds: 0 },
        { policy, allowed: true, remaining: 0, resetSeconds: 3600, retryAfterSeconds: 0 },
        { policy, allowed: false, remaining: 0, resetSeconds: 3600, retryAfterSeconds: 1200 },
      ]);
    });

    it('keeps subjects and policies apart', async () => {
      const [store] = await harness.replicas();
      const session: RatePolicy = { name: 'session', limit: 1, windowSeconds: 60 };
      const ip: RatePolicy = { name: 'ip', limit: 1, windowSeconds: 60 };
      expect((await store.hit(session, 'a')).allowed).toBe(true);
      expect((await store.hit(session, 'a')).allowed).toBe(false);
      expect((await store.hit(session, 'b')).allowed).toBe(true);
      expect((await store.hit(ip, 'a')).allowed).toBe(true);
    });

    it('holds one limit across replicas', async () => {
      const [a, b] = await harness.replicas();
      const policy: RatePolicy = { name: 'session', limit: 2, windowSeconds: 60 };
      expect((await a.hit(policy, 's')).remaining).toBe(1);
      expect((await b.hit(policy, 's')).remaining).toBe(0);
      expect((await a.hit(policy, 's')).allowed).toBe(false);
    });

    it('admits exactly the limit out of many concurrent hits on two replicas', async () => {
      const [a, b] = await harness.replicas();
      const policy: RatePolicy = { name: 'burst', limit: 25, windowSeconds: 3600 };
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).hit(policy, 's')));
      expect(results.filter((d) => d.allowed)).toHaveLength(25);
      expect(results.filter((d) => !d.allowed).every((d) => d.remaining === 0 && d.retryAfterSeconds > 0)).toBe(true);
    });

    it('admits again after one emission interval even while rejected hits keep coming (they do not consume)', async () => {
      const [store] = await harness.replicas();
      // One request per 250 ms. If a rejected hit pushed the schedule back, polling every 25 ms would never get in.
      const policy: RatePolicy = { name: 'fast', limit: 4, windowSeconds: 1 };
      for (let i = 0; i < 4; i++) expect((await store.hit(policy, 's')).allowed).toBe(true);
      const rejected = await store.hit(policy, 's');
      expect(rejected).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 1, resetSeconds: 1 });
      await waitFor(async () => (await store.hit(policy, 's')).allowed, {
        what: 'a hit to be admitted again',
        timeoutMs: 3_000,
        intervalMs: 25,
      });
    });
  });

  describe('concurrency leases', () => {
    it('refuses a second holder until the first releases', async () => {
      const [a, b] = await harness.replicas();
      const lease = await a.acquire('stream', 's', 60_000);
      expect(lease).toBeDefined();
      expect(await b.acquire('stream', 's', 60_000)).toBeUndefined();
      expect(await b.acquire('stream', 'other', 60_000)).toBeDefined();
      expect(await b.acquire('other', 's', 60_000)).toBeDefined();
      await lease!.release();
      await lease!.release(); // idempotent
      expect(await b.acquire('stream', 's', 60_000)).toBeDefined();
    });

    it("frees a crashed holder's lease after its TTL, and the stale holder cannot release the new one", async () => {
      const [a, b] = await harness.replicas();
      const crashed = await a.acquire('stream', 's', 150);
      expect(crashed).toBeDefined();
      expect(await b.acquire('stream', 's', 60_000)).toBeUndefined();
      const next = await waitFor(() => b.acquire('stream', 's', 60_000), { what: 'the lease to expire', timeoutMs: 3_000 });
      await crashed!.release();
      expect(await a.acquire('stream', 's', 60_000)).toBeUndefined();
      await next.release();
      expect(await a.acquire('stream', 's', 60_000)).toBeDefined();
    });

    it('gives a lease to exactly one of many concurrent callers', async () => {
      const [a, b] = await harness.replicas();
      const leases = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).acquire('stream', 's', 60_000)));
      expect(leases.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('daily budgets', () => {
    const tokens: BudgetPolicy = { name: 'tokens', limit: 1000 };

    it('reserves within the limit and reports what is left until the next UTC midnight', async () => {
      const [store] = await harness.replicas();
      const before = secondsToUtcMidnight(Date.now());
      const { decision, reservation } = await store.reserve(tokens, 's', 300);
      const after = secondsToUtcMidnight(Date.now());
      expect(decision).toMatchObject({ policy: tokens, allowed: true, remaining: 700 });
      expect(decision.resetSeconds).toBeLessThanOrEqual(before);
      expect(decision.resetSeconds).toBeGreaterThanOrEqual(after);
      expect(reservation?.amount).toBe(300);
    });

    it('refuses a reservation that would exceed used + reserved, without changing anything', async () => {
      const [store] = await harness.replicas();
      await store.reserve(tokens, 's', 600);
      const refused = await store.reserve(tokens, 's', 401);
      expect(refused.decision).toMatchObject({ allowed: false, remaining: 400 });
      expect(refused.reservation).toBeUndefined();
      expect((await store.reserve(tokens, 's', 400)).decision).toMatchObject({ allowed: true, remaining: 0 });
      expect((await store.reserve(tokens, 's', 1)).decision.allowed).toBe(false);
    });

    it('settles to the actual amount: less frees the difference', async () => {
      const [store] = await harness.replicas();
      const { reservation } = await store.reserve(tokens, 's', 600);
      expect((await store.reserve(tokens, 's', 500)).decision.allowed).toBe(false);
      await reservation!.settle(200);
      expect((await store.reserve(tokens, 's', 800)).decision).toMatchObject({ allowed: true, remaining: 0 });
    });

    it('settles to the actual amount: more is counted and the next reservation is refused', async () => {
      const [store] = await harness.replicas();
      const { reservation } = await store.reserve(tokens, 's', 100);
      await reservation!.settle(1_500);
      const next = await store.reserve(tokens, 's', 1);
      // `used` shows the overrun that `remaining` (never negative) cannot.
      expect(next.decision).toMatchObject({ allowed: false, remaining: 0, used: 1_500 });
    });

    it('returns a released reservation unused, and only the first settle or release counts', async () => {
      const [store] = await harness.replicas();
      const first = await store.reserve(tokens, 's', 1000);
      await first.reservation!.release();
      await first.reservation!.settle(1000); // too late: already released
      const second = await store.reserve(tokens, 's', 1000);
      expect(second.decision).toMatchObject({ allowed: true, remaining: 0 });
      await second.reservation!.settle(300);
      await second.reservation!.settle(900);
      await second.reservation!.release();
      expect((await store.reserve(tokens, 's', 700)).decision).toMatchObject({ allowed: true, remaining: 0 });
    });

    it("returns a dead process's reservation after the reservation TTL", async () => {
      const [a, b] = await harness.replicas({ reservationTtlMs: 150 });
      expect((await a.reserve(tokens, 's', 1000)).decision.allowed).toBe(true); // never settled
      expect((await b.reserve(tokens, 's', 1)).decision.allowed).toBe(false);
      const later = await waitFor(async () => {
        const r = await b.reserve(tokens, 's', 1000);
        return r.decision.allowed && r;
      }, { what: 'the reservation to expire', timeoutMs: 3_000 });
      expect(later.decision.remaining).toBe(0);
    });

    it('still counts a settle that comes after its reservation expired', async () => {
      const [store] = await harness.replicas({ reservationTtlMs: 100 });
      const { reservation } = await store.reserve(tokens, 's', 400);
      await waitFor(async () => {
        const probe = await store.reserve(tokens, 's', 1000);
        if (!probe.decision.allowed) return false;
        await probe.reservation!.release();
        return true;
      }, { what: 'the reservation to expire', timeoutMs: 3_000 });
      await reservation!.settle(400);
      expect((await store.reserve(tokens, 's', 601)).decision).toMatchObject({ allowed: false, remaining: 600 });
    });

    it('admits exactly what fits out of many concurrent reservations on two replicas', async () => {
      const [a, b] = await harness.replicas();
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).reserve(tokens, 's', 10)));
      const admitted = results.filter((r) => r.decision.allowed);
      expect(admitted).toHaveLength(100);
      await Promise.all(admitted.slice(0, 10).map((r) => r.reservation!.settle(5)));
      expect((await a.reserve(tokens, 's', 51)).decision).toMatchObject({ allowed: false, remaining: 50 });
      expect((await b.reserve(tokens, 's', 50)).decision.allowed).toBe(true);
    });

    it('keeps subjects and budgets apart', async () => {
      const [store] = await harness.replicas();
      await store.reserve(tokens, 'a', 1000);
      expect((await store.reserve(tokens, 'b', 1000)).decision.allowed).toBe(true);
      expect((await store.reserve({ name: 'cost', limit: 1000 }, 'a', 1000)).decision.allowed).toBe(true);
    });
  });

  describe('kill switch', () => {
    it('is off until switched on, and every replica sees a change at once', async () => {
      const [a, b] = await harness.replicas();
      // The Redis replicas share a fresh prefix, so a prior test's switch is not visible here.
      expect(await b.killSwitch()).toEqual({ enabled: false });
      const state = { enabled: true, reason: 'provider incident', changed_at: '2025-06-01T12:00:00.000Z', changed_by: 'key_admin1' };
      await a.setKillSwitch(state);
      expect(await b.killSwitch()).toEqual(state);
      await a.setKillSwitch({ enabled: false, changed_by: 'key_admin2' });
      const off = await b.killSwitch();
      expect(off).toMatchObject({ enabled: false, changed_by: 'key_admin2' });
      expect(off.reason).toBeUndefined(); // the previous reason does not linger
      expect(Date.parse(off.changed_at ?? '')).toBeGreaterThan(Date.now() - 60_000); // defaulted to the time of the change
    });
  });

  describe('arguments', () => {
    it('rejects bad policies, names and amounts as LimitArgumentError (a bug, not a store failure)', async () => {
      const [store] = await harness.replicas();
      const tokensPolicy: BudgetPolicy = { name: 'tokens', limit: 10 };
      await expect(store.hit({ name: 'bad name', limit: 1, windowSeconds: 1 }, 's')).rejects.toBeInstanceOf(LimitArgumentError);
      await expect(store.hit({ name: 'ok', limit: 0, windowSeconds: 1 }, 's')).rejects.toBeInstanceOf(LimitArgumentError);
      await expect(store.hit({ name: 'ok', limit: 1, windowSeconds: 0.5 }, 's')).rejects.toBeInstanceOf(LimitArgumentError);
      await expect(store.hit({ name: 'ok', limit: 1, windowSeconds: 1 }, '')).rejects.toBeInstanceOf(LimitArgumentError);
      await expect(store.acquire('stream', 's', 0)).rejects.toBeInstanceOf(LimitArgumentError);
      await expect(store.reserve(tokensPolicy, 's', -1)).rejects.toBeInstanceOf(LimitArgumentError);
      await expect(store.reserve(tokensPolicy, 's', 1.5)).rejects.toBeInstanceOf(LimitArgumentError);
      const { reservation } = await store.reserve(tokensPolicy, 's', 1);
      await expect(reservation!.settle(Number.NaN)).rejects.toBeInstanceOf(LimitArgumentError);
    });
  });
});
