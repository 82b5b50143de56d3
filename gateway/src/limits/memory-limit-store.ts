import { randomBytes } from 'node:crypto';
import { admitStepByStep } from './admission.js';
import { firstCallOnly } from './once.js';
import { gcraDecision, gcraParams, gcraStep, gcraTtlMs, type GcraState } from './gcra.js';
import { BUDGET_KEY_TTL_MS, DEFAULT_RESERVATION_TTL_MS, secondsToUtcMidnight, utcDay } from './keys.js';
import { killSwitchFromRecord, killSwitchRecord } from './kill-switch.js';
import type { LimitStore, RateDecision, Reservation } from './types.js';
import { checkAmount, checkBudgetPolicy, checkKillSwitch, checkName, checkRatePolicy, checkSubject, checkTtl } from './validate.js';

export interface MemoryLimitStoreOptions {
  /** Clock in ms (Date.now by default); tests move it by hand. */
  now?: () => number;
  /** How long an unsettled reservation holds budget before it is returned; 10 minutes by default. */
  reservationTtlMs?: number;
}

interface Budget {
  used: number;
  reserved: number;
  /** id → amount and expiry (ms). */
  reservations: Map<string, { amount: number; expiresAt: number }>;
  expiresAt: number;
}

/** Sweep expired entries every this many operations: memory stays bounded by live entries, no timer. */
const SWEEP_EVERY = 1024;

/**
 * The in-process twin of the Redis store, with the same semantics (same GCRA code, leases
 * with expiry, daily budgets with expiring reservations, kill switch). It holds for one
 * process only: the single-machine setup, tests, and the fallback while Redis is down.
 * Each operation runs without an await in between, so it is atomic like a Lua script.
 */
export function createMemoryLimitStore(options: MemoryLimitStoreOptions = {}): LimitStore {
  const now = options.now ?? Date.now;
  const reservationTtlMs = options.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
  checkTtl(reservationTtlMs);
  const rates = new Map<string, GcraState & { expiresAt: number }>();
  const leases = new Map<string, { token: string; expiresAt: number }>();
  const budgets = new Map<string, Budget>();
  let killSwitch: Record<string, string> = {};
  let operations = 0;

  const sweep = (): void => {
    if (++operations % SWEEP_EVERY !== 0) return;
    const t = now();
    for (const map of [rates, leases, budgets] as Map<string, { expiresAt: number }>[]) {
      for (const [k, v] of map) if (v.expiresAt <= t) map.delete(k);
    }
  };
  const key = (...parts: string[]): string => parts.join('\u0000');

  const store: LimitStore = {
    async hit(policy, subject) {
      const [decision] = await store.hitAll([{ policy, subject }]);
      return decision as RateDecision;
    },

    async hitAll(hits) {
      sweep();
      const t = now();
      const steps = hits.map(({ policy, subject }) => {
        checkRatePolicy(policy);
        checkSubject(subject);
        const k = key(policy.name, subject);
        const entry = rates.get(k);
        const stored = entry && entry.expiresAt > t ? entry : undefined;
        return { k, policy, stored, step: gcraStep(stored, Math.floor(t * 1000), gcraParams(policy)) };
      });
      const all = steps.every((s) => s.step.allowed);
      return steps.map(({ k, policy, stored, step }) => {
        if (all) {
          rates.set(k, { ...step.state, expiresAt: t + gcraTtlMs(step.d) });
          return gcraDecision(policy, true, step.d, step.f);
        }
        // Nothing is charged: each policy reports its own verdict on its unchanged state.
        const d = stored ? stored.tat - Math.floor(t * 1000) : 0;
        return gcraDecision(policy, step.allowed, Math.max(0, d), stored ? Math.min(stored.frac, policy.limit - 1) : 0);
      });
    },

    admit: (request) => admitStepByStep(store, request),

    async acquire(name, subject, ttlMs) {
      checkName('lease', name);
      checkSubject(subject);
      checkTtl(ttlMs);
      sweep();
      const k = key(name, subject);
      const held = leases.get(k);
      if (held && held.expiresAt > now()) return undefined;
      const token = randomBytes(16).toString('base64url');
      leases.set(k, { token, expiresAt: now() + ttlMs });
      return {
        release: firstCallOnly(() => {
          if (leases.get(k)?.token === token) leases.delete(k);
        }),
      };
    },

    async reserve(policy, subject, amount) {
      checkBudgetPolicy(policy);
      checkSubject(subject);
      checkAmount('amount', amount);
      sweep();
      const t = now();
      const k = key(policy.name, subject, utcDay(t));
      let budget = budgets.get(k);
      if (!budget || budget.expiresAt <= t) {
        budget = { used: 0, reserved: 0, reservations: new Map(), expiresAt: t + BUDGET_KEY_TTL_MS };
        budgets.set(k, budget);
      }
      for (const [id, r] of budget.reservations) {
        if (r.expiresAt <= t) {
          budget.reservations.delete(id);
          budget.reserved -= r.amount;
        }
      }
      const resetSeconds = secondsToUtcMidnight(t);
      if (budget.used + budget.reserved + amount > policy.limit) {
        const used = budget.used + budget.reserved;
        return { decision: { policy, allowed: false, remaining: Math.max(0, policy.limit - used), used, resetSeconds } };
      }
      const id = randomBytes(16).toString('base64url');
      budget.reservations.set(id, { amount, expiresAt: t + reservationTtlMs });
      budget.reserved += amount;
      budget.expiresAt = t + BUDGET_KEY_TTL_MS;
      const used = budget.used + budget.reserved;
      const decision = { policy, allowed: true, remaining: Math.max(0, policy.limit - used), used, resetSeconds };

      const held = budget;
      const finish = firstCallOnly((actual: number): void => {
        const r = held.reservations.get(id);
        if (r) {
          held.reservations.delete(id);
          held.reserved -= r.amount;
        }
        // Counted against the day it was reserved on, even if that day's entry was swept meanwhile.
        held.used += actual;
        held.expiresAt = now() + BUDGET_KEY_TTL_MS;
        if (!budgets.has(k) && actual > 0) budgets.set(k, held);
      });
      const reservation: Reservation = {
        amount,
        async settle(actual) {
          checkAmount('actual', actual);
          await finish(actual);
        },
        release: () => finish(0),
      };
      return { decision, reservation };
    },

    async killSwitch() {
      return killSwitchFromRecord(killSwitch);
    },

    async setKillSwitch(state) {
      checkKillSwitch(state);
      killSwitch = killSwitchRecord(state, now());
    },

    async ping() {},
  };
  return store;
}
