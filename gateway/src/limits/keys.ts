import { createHash } from 'node:crypto';

/**
 * Redis key layout. Subjects are hashed (fixed length, no raw ids or secrets in Redis);
 * names are validated to [A-Za-z0-9_.-]. The two keys of a budget share a hash tag so
 * the script stays valid on Redis Cluster.
 */
export const DEFAULT_KEY_PREFIX = 'parley:limit:';

/** 192 bits of SHA-256, base64url: 32 characters whatever the subject's length. */
export function subjectHash(subject: string): string {
  return createHash('sha256').update(subject, 'utf8').digest('base64url').slice(0, 32);
}

export interface LimitKeys {
  rate(policy: string, subject: string): string;
  lease(name: string, subject: string): string;
  /** [hash with used/reserved/r:<id>, sorted set of reservation ids by expiry] */
  budget(policy: string, subject: string, day: string): [string, string];
  killSwitch(): string;
}

export function limitKeys(prefix: string = DEFAULT_KEY_PREFIX): LimitKeys {
  return {
    rate: (policy, subject) => `${prefix}rate:${policy}:${subjectHash(subject)}`,
    lease: (name, subject) => `${prefix}lease:${name}:${subjectHash(subject)}`,
    budget: (policy, subject, day) => {
      const tag = `{${policy}:${subjectHash(subject)}:${day}}`;
      return [`${prefix}budget:${tag}`, `${prefix}budget:${tag}:reservations`];
    },
    killSwitch: () => `${prefix}killswitch`,
  };
}

const DAY_MS = 86_400_000;

/** The UTC date of an instant, e.g. "2025-06-01". */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Whole seconds (rounded up, 1..86400) until the next UTC midnight. */
export function secondsToUtcMidnight(ms: number): number {
  const next = (Math.floor(ms / DAY_MS) + 1) * DAY_MS;
  return Math.ceil((next - ms) / 1000);
}

/** Day keys outlive their day by a day, then go on their own. */
export const BUDGET_KEY_TTL_MS = 2 * DAY_MS;
/** A reservation not settled or released within this time is returned (its process died). */
export const DEFAULT_RESERVATION_TTL_MS = 10 * 60_000;
