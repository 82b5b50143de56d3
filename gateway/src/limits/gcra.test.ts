import { describe, expect, it } from 'vitest';
import { gcraDecision, gcraParams, gcraStep, gcraTtlMs, type GcraState } from './gcra.js';
import type { RatePolicy } from './types.js';
import { checkRatePolicy, LimitArgumentError } from './validate.js';

/** Runs hits at the given µs instants, carrying the state like a store would. */
function run(policy: RatePolicy, instants: number[]) {
  const p = gcraParams(policy);
  let state: GcraState | undefined;
  return instants.map((now) => {
    const step = gcraStep(state, now, p);
    state = step.state;
    return gcraDecision(policy, step.allowed, step.d, step.f);
  });
}

const T0 = 1_750_000_000_000_000; // a realistic Redis TIME in µs

describe('GCRA', () => {
  it('keeps a window that the limit does not divide exact: 7 per minute, the 8th exactly 60/7 s later', () => {
    const policy = { name: 'p', limit: 7, windowSeconds: 60 };
    const burst = run(policy, Array.from({ length: 8 }, () => T0));
    expect(burst.map((d) => d.allowed)).toEqual([true, true, true, true, true, true, true, false]);
    expect(burst.map((d) => d.remaining)).toEqual([6, 5, 4, 3, 2, 1, 0, 0]);
    // T = 8_571_428.571… µs: one µs before ceil(T) is still too early, ceil(T) is in.
    const p = gcraParams(policy);
    let state: GcraState | undefined;
    for (let i = 0; i < 7; i++) state = gcraStep(state, T0, p).state;
    expect(gcraStep(state, T0 + 8_571_428, p).allowed).toBe(false);
    expect(gcraStep(state, T0 + 8_571_429, p).allowed).toBe(true);
  });

  it('does not drift: after a full burst, exactly 7 more are admitted over the next 60 s', () => {
    const policy = { name: 'p', limit: 7, windowSeconds: 60 };
    const instants = [...Array.from({ length: 7 }, () => T0), ...Array.from({ length: 60_000 }, (_, i) => T0 + (i + 1) * 1000)];
    const admitted = run(policy, instants).filter((d) => d.allowed);
    expect(admitted).toHaveLength(14);
  });

  it('reports remaining, reset and retry-after exactly', () => {
    const policy = { name: 'session', limit: 60, windowSeconds: 60 };
    const d = run(policy, [T0, T0 + 500_000, ...Array.from({ length: 59 }, () => T0 + 500_000)]);
    expect(d[0]).toEqual({ policy, allowed: true, remaining: 59, resetSeconds: 1, retryAfterSeconds: 0 });
    // Half a second later half a request is back: still 58 whole ones left; the quota is full again in 1.5 s.
    expect(d[1]).toEqual({ policy, allowed: true, remaining: 58, resetSeconds: 2, retryAfterSeconds: 0 });
    expect(d.filter((x) => x.allowed)).toHaveLength(60);
    // TAT is T0 + 60 s, half a second from now the next one fits; the whole quota in 59.5 s.
    expect(d.at(-1)).toEqual({ policy, allowed: false, remaining: 0, resetSeconds: 60, retryAfterSeconds: 1 });
  });

  it('leaves the state alone on rejection', () => {
    const policy = { name: 'p', limit: 1, windowSeconds: 10 };
    const p = gcraParams(policy);
    const first = gcraStep(undefined, T0, p);
    const rejected = gcraStep(first.state, T0 + 1, p);
    expect(rejected.allowed).toBe(false);
    expect(rejected.state).toEqual(first.state);
  });

  it('treats state whose TAT has passed like a fresh subject (so keys may expire then)', () => {
    const policy = { name: 'p', limit: 2, windowSeconds: 10 };
    const p = gcraParams(policy);
    const first = gcraStep(undefined, T0, p);
    expect(gcraTtlMs(first.d)).toBe(5_001);
    const late = gcraStep(first.state, T0 + 5_000_001, p);
    expect(late).toEqual(gcraStep(undefined, T0 + 5_000_001, p));
  });

  it('clamps a fraction left by a higher limit instead of failing', () => {
    const p = gcraParams({ name: 'p', limit: 3, windowSeconds: 1 });
    const step = gcraStep({ tat: T0 + 10, frac: 5 }, T0, p);
    expect(step.allowed).toBe(true);
    expect(step.f).toBeLessThan(3);
  });

  it('refuses policies whose arithmetic would not be exact', () => {
    expect(() => checkRatePolicy({ name: 'day', limit: 100_000, windowSeconds: 86_400 })).not.toThrow();
    expect(() => checkRatePolicy({ name: 'day', limit: 1_000_000, windowSeconds: 86_400 })).toThrow(LimitArgumentError);
  });
});
