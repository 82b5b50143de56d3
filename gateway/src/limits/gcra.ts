import type { RateDecision, RatePolicy } from './types.js';

/**
 * GCRA (generic cell rate algorithm) in exact integer arithmetic, the reference for the Lua
 * script in redis-scripts.ts, which mirrors `gcraStep` line by line; `gcraDecision` turns
 * either one's raw answer into a RateDecision, so both stores share that math.
 *
 * Time is in integer microseconds. The emission interval T = W / L (W = window in µs,
 * L = limit) is kept as q + r/L with q = floor(W / L), r = W mod L, and the theoretical
 * arrival time (TAT) as `tat + frac/L` with 0 <= frac < L, so nothing is ever rounded.
 * A hit is allowed when max(TAT, now) + T - now <= W: a fresh subject gets L at once
 * (burst = limit), then one per T. Rejected hits leave the state alone.
 */

export interface GcraParams {
  /** Window in µs. */
  readonly w: number;
  readonly l: number;
  readonly q: number;
  readonly r: number;
}

export interface GcraState {
  readonly tat: number;
  readonly frac: number;
}

export interface GcraResult {
  readonly allowed: boolean;
  /** The state to store when allowed (unchanged when rejected). */
  readonly state: GcraState;
  /** Integer µs part of TAT - now after the step (the stored TAT). */
  readonly d: number;
  /** Fractional part of TAT - now, in 1/L µs. */
  readonly f: number;
}

export function gcraParams(policy: RatePolicy): GcraParams {
  const w = policy.windowSeconds * 1_000_000;
  const l = policy.limit;
  const q = Math.floor(w / l);
  return { w, l, q, r: w - q * l };
}

/** One hit at `now` (µs). */
export function gcraStep(stored: GcraState | undefined, now: number, p: GcraParams): GcraResult {
  let tat = now;
  let frac = 0;
  if (stored && stored.tat >= now) {
    tat = stored.tat;
    // A lowered limit can leave a fraction out of range; clamping it moves TAT by < 1 µs.
    frac = Math.min(stored.frac, p.l - 1);
  }
  let nt = tat + p.q;
  let nf = frac + p.r;
  if (nf >= p.l) {
    nt += 1;
    nf -= p.l;
  }
  const d = nt - now;
  if (d < p.w || (d === p.w && nf === 0)) return { allowed: true, state: { tat: nt, frac: nf }, d, f: nf };
  return { allowed: false, state: { tat, frac }, d: tat - now, f: frac };
}

/** Milliseconds after which a stored state is equivalent to none (TAT has passed). */
export function gcraTtlMs(d: number): number {
  return Math.floor(d / 1000) + 1;
}

const ceilSeconds = (us: number): number => Math.ceil(us / 1_000_000);

/** The decision for a step's raw answer: exact remaining, reset and retry-after. */
export function gcraDecision(policy: RatePolicy, allowed: boolean, d: number, f: number): RateDecision {
  const p = gcraParams(policy);
  const resetUs = d + (f > 0 ? 1 : 0);
  if (allowed) {
    // remaining = floor((W - (d + f/L)) / (W/L)) = floor(((W - d)·L - f) / W); (W - d)·L <= W·L is exact.
    const remaining = Math.max(0, Math.floor(((p.w - d) * p.l - f) / p.w));
    return { policy, allowed, remaining, resetSeconds: ceilSeconds(resetUs), retryAfterSeconds: 0 };
  }
  // The next hit is admitted once TAT + T - now <= W, i.e. after (d + q - W) + (f + r)/L µs.
  let a = d + p.q - p.w;
  let b = f + p.r;
  if (b >= p.l) {
    a += 1;
    b -= p.l;
  }
  const retryUs = a + (b > 0 ? 1 : 0);
  return { policy, allowed, remaining: 0, resetSeconds: ceilSeconds(resetUs), retryAfterSeconds: Math.max(1, ceilSeconds(retryUs)) };
}
