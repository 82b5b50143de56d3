import type { BudgetPolicy, KillSwitchState, RatePolicy } from './types.js';

/**
 * A bad argument: a programming or configuration error, never a store failure (the resilient
 * wrapper passes it through instead of degrading).
 */
export class LimitArgumentError extends RangeError {
  override readonly name = 'LimitArgumentError';
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function fail(message: string): never {
  throw new LimitArgumentError(message);
}

export function checkName(kind: string, name: string): void {
  if (!NAME.test(name)) fail(`${kind} name must match ${NAME.source}: ${JSON.stringify(name.slice(0, 80))}`);
}

export function checkSubject(subject: string): void {
  if (typeof subject !== 'string' || subject.length === 0) fail('subject must be a non-empty string');
}

function checkCount(what: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) fail(`${what} must be an integer >= ${min}, got ${String(value)}`);
}

export function checkRatePolicy(policy: RatePolicy): void {
  checkName('rate policy', policy.name);
  checkCount('rate policy limit', policy.limit, 1);
  checkCount('rate policy windowSeconds', policy.windowSeconds, 1);
  // GCRA works in integer microseconds; (window in µs) × limit must stay exact in a double.
  if (policy.windowSeconds * 1_000_000 * policy.limit > Number.MAX_SAFE_INTEGER) {
    fail(`rate policy ${policy.name}: windowSeconds × limit is too large`);
  }
}

export function checkBudgetPolicy(policy: BudgetPolicy): void {
  checkName('budget policy', policy.name);
  checkCount('budget policy limit', policy.limit, 0);
}

export function checkAmount(what: string, amount: number): void {
  checkCount(what, amount, 0);
}

export function checkTtl(ttlMs: number): void {
  checkCount('ttlMs', ttlMs, 1);
}

export function checkKillSwitch(state: KillSwitchState): void {
  if (typeof state.enabled !== 'boolean') fail('kill switch enabled must be a boolean');
}
