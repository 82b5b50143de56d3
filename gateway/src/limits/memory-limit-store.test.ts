import { describe, expect, it } from 'vitest';
import { createMemoryLimitStore } from './memory-limit-store.js';

// Behaviour shared with Redis is in limit-store-contract.test.ts; these use a hand-moved clock.

function clock(start: string) {
  let t = Date.parse(start);
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('memory limit store', () => {
  it('replenishes one request per window/limit on its clock', async () => {
    const c = clock('2025-06-01T12:00:00.000Z');
    const store = createMemoryLimitStore({ now: c.now });
    const policy = { name: 'session', limit: 60, windowSeconds: 60 };
    for (let i = 0; i < 60; i++) expect((await store.hit(policy, 's')).allowed).toBe(true);
    c.advance(999);
    expect(await store.hit(policy, 's')).toMatchObject({ allowed: false, retryAfterSeconds: 1, resetSeconds: 60 });
    c.advance(1);
    expect(await store.hit(policy, 's')).toMatchObject({ allowed: true, remaining: 0, resetSeconds: 60 });
    c.advance(60_000);
    expect(await store.hit(policy, 's')).toMatchObject({ allowed: true, remaining: 59, resetSeconds: 1 });
  });

  it('starts a fresh budget at UTC midnight and counts late settles against the day they were reserved on', async () => {
    const c = clock('2025-06-01T23:59:59.500Z');
    const store = createMemoryLimitStore({ now: c.now });
    const policy = { name: 'cost', limit: 1_000_000 };
    const { decision, reservation } = await store.reserve(policy, 's', 1_000_000);
    expect(decision).toMatchObject({ allowed: true, remaining: 0, resetSeconds: 1 });
    expect((await store.reserve(policy, 's', 1)).decision.allowed).toBe(false);
    c.advance(500);
    const fresh = await store.reserve(policy, 's', 1);
    expect(fresh.decision).toMatchObject({ allowed: true, remaining: 999_999, resetSeconds: 86_400 });
    await reservation!.settle(2_000_000);
    expect((await store.reserve(policy, 's', 999_999)).decision.allowed).toBe(true);
  });

  it('expires reservations and leases on its clock', async () => {
    const c = clock('2025-06-01T12:00:00.000Z');
    const store = createMemoryLimitStore({ now: c.now, reservationTtlMs: 60_000 });
    const policy = { name: 'tokens', limit: 10 };
    await store.reserve(policy, 's', 10);
    expect(await store.acquire('stream', 's', 30_000)).toBeDefined();
    c.advance(29_999);
    expect(await store.acquire('stream', 's', 30_000)).toBeUndefined();
    c.advance(1);
    expect(await store.acquire('stream', 's', 30_000)).toBeDefined();
    expect((await store.reserve(policy, 's', 1)).decision.allowed).toBe(false);
    c.advance(30_000);
    expect((await store.reserve(policy, 's', 10)).decision.allowed).toBe(true);
  });

  it('sweeps only expired entries: live limits survive the periodic sweep', async () => {
    const c = clock('2025-06-01T12:00:00.000Z');
    const store = createMemoryLimitStore({ now: c.now });
    const policy = { name: 'ip', limit: 1, windowSeconds: 10 };
    // 3,000 operations run the sweep twice while every subject is still limited.
    for (let i = 0; i < 3_000; i++) {
      expect((await store.hit(policy, `s${i}`)).allowed).toBe(true);
      c.advance(1);
    }
    for (const s of ['s0', 's1500', 's2999']) expect((await store.hit(policy, s)).allowed).toBe(false);
    c.advance(10_000);
    for (const s of ['s0', 's1500', 's2999']) expect((await store.hit(policy, s)).allowed).toBe(true);
  });
});
