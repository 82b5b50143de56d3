import { randomBytes } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import { gcraDecision, gcraParams } from './gcra.js';
import { BUDGET_KEY_TTL_MS, DEFAULT_KEY_PREFIX, DEFAULT_RESERVATION_TTL_MS, limitKeys, secondsToUtcMidnight, utcDay } from './keys.js';
import { firstCallOnly } from './once.js';
import { defineLimitScripts } from './redis-scripts.js';
import { killSwitchFromRecord, killSwitchRecord } from './kill-switch.js';
import type { LimitStore, RateDecision, Reservation } from './types.js';
import { checkAmount, checkBudgetPolicy, checkKillSwitch, checkName, checkRatePolicy, checkSubject, checkTtl } from './validate.js';

export interface RedisLimitStoreOptions {
  /** Prefix of every key; 'parley:limit:' by default. */
  keyPrefix?: string;
  /** How long an unsettled reservation holds budget before it is returned; 10 minutes by default. */
  reservationTtlMs?: number;
  /**
   * Clock that picks the budget's UTC day (ms). Reservation expiry and GCRA use Redis TIME;
   * the day uses this replica's clock, which NTP keeps within milliseconds of the others.
   */
  now?: () => number;
}

/**
 * Options for the limits' own ioredis client (not the shared one from platform's createRedis,
 * which queues commands while disconnected): a dead Redis fails at once, a hung one after
 * commandTimeout, so createResilientLimitStore applies its policy within a request's budget.
 * Spread them and add connectionName: `new Redis(url, { ...LIMITS_REDIS_OPTIONS, connectionName })`.
 */
export const LIMITS_REDIS_OPTIONS = {
  enableOfflineQueue: false,
  commandTimeout: 250,
  connectTimeout: 1_000,
  // In-flight commands fail when the connection drops instead of being replayed later.
  maxRetriesPerRequest: 0,
  // Checks issued in the same tick go out in one write: far fewer syscalls under load.
  enableAutoPipelining: true,
  retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 1_000),
} as const satisfies RedisOptions;

const token = (): string => randomBytes(16).toString('base64url');

/**
 * Limits in Redis, shared by every gateway replica: each operation is one atomic command or
 * script. Errors are the client's own (connection, timeout); createResilientLimitStore decides
 * what they mean. Give it a client with enableOfflineQueue:false and a short commandTimeout
 * (see LIMITS_REDIS_OPTIONS) so a dead or hung Redis fails fast instead of queueing.
 */
export function createRedisLimitStore(client: Redis, options: RedisLimitStoreOptions = {}): LimitStore {
  const redis = defineLimitScripts(client);
  const keys = limitKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
  const reservationTtlMs = options.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
  checkTtl(reservationTtlMs);
  const now = options.now ?? Date.now;

  const store: LimitStore = {
    async hit(policy, subject) {
      const [decision] = await store.hitAll([{ policy, subject }]);
      return decision as RateDecision;
    },

    async hitAll(hits) {
      if (hits.length === 0) return [];
      const keyList: string[] = [];
      const args: number[] = [];
      for (const { policy, subject } of hits) {
        checkRatePolicy(policy);
        checkSubject(subject);
        const p = gcraParams(policy);
        keyList.push(keys.rate(policy.name, subject));
        args.push(p.w, p.l, p.q, p.r);
      }
      const out = await redis.parleyLimitGcraHitAll(keyList.length, ...keyList, ...args);
      // A policy that allowed the request while another refused it reports its unchanged state.
      return hits.map(({ policy }, i) => gcraDecision(policy, out[1 + i * 3] === 1, Number(out[2 + i * 3]), Number(out[3 + i * 3])));
    },

    async admit(request) {
      const { lease, budgets } = request;
      if (lease) {
        checkName('lease', lease.name);
        checkSubject(lease.subject);
        checkTtl(lease.ttlMs);
      }
      const at = now();
      const day = utcDay(at);
      // Without a lease the script gets a key it never sets (TTL 0 skips the slot), so finish finds nothing to free.
      const leaseKey = lease ? keys.lease(lease.name, lease.subject) : keys.lease('none', 'none');
      const mine = token();
      const keyList = [keys.killSwitch(), leaseKey];
      const args: (string | number)[] = [mine, lease?.ttlMs ?? 0, reservationTtlMs, BUDGET_KEY_TTL_MS];
      const ids: string[] = [];
      const budgetKeys: string[] = [];
      for (const b of budgets) {
        checkBudgetPolicy(b.policy);
        checkSubject(b.subject);
        checkAmount('amount', b.amount);
        const [hashKey, zsetKey] = keys.budget(b.policy.name, b.subject, day);
        const id = token();
        ids.push(id);
        budgetKeys.push(hashKey, zsetKey);
        args.push(b.policy.limit, b.amount, id);
      }
      keyList.push(...budgetKeys);
      const out = await redis.parleyLimitAdmit(keyList.length, ...keyList, ...args);
      const resetSeconds = secondsToUtcMidnight(at);
      const decision = (i: number, used: number, reserved: number) => {
        const policy = (budgets[i] as (typeof budgets)[number]).policy;
        return { policy, allowed: true, remaining: Math.max(0, policy.limit - used - reserved), used: used + reserved, resetSeconds };
      };
      if (out[0] !== 1) {
        if (out[1] === 'kill') {
          const record: Record<string, string> = {};
          for (let i = 2; i + 1 < out.length; i += 2) record[String(out[i])] = String(out[i + 1]);
          return { admitted: false, refusal: 'kill_switch', killSwitch: killSwitchFromRecord(record) };
        }
        if (out[1] === 'lease') return { admitted: false, refusal: 'lease' };
        const refused = decision(Number(out[2]) - 1, Number(out[3]), Number(out[4]));
        return { admitted: false, refusal: 'budget', refused: { ...refused, allowed: false } };
      }
      const decisions = budgets.map((_, i) => decision(i, Number(out[1 + 2 * i]), Number(out[2 + 2 * i])));
      return {
        admitted: true,
        decisions,
        finish: firstCallOnly(async (actuals: number[] | null) => {
          const finishArgs: (string | number)[] = [mine, BUDGET_KEY_TTL_MS];
          budgets.forEach((b, i) => {
            const actual = actuals === null ? 0 : (actuals[i] ?? b.amount);
            checkAmount('actual', actual);
            finishArgs.push(ids[i] as string, actual);
          });
          await redis.parleyLimitFinish(1 + budgetKeys.length, leaseKey, ...budgetKeys, ...finishArgs);
        }),
      };
    },

    async acquire(name, subject, ttlMs) {
      checkName('lease', name);
      checkSubject(subject);
      checkTtl(ttlMs);
      const key = keys.lease(name, subject);
      const mine = token();
      const ok = await redis.set(key, mine, 'PX', ttlMs, 'NX');
      if (ok !== 'OK') return undefined;
      return {
        release: firstCallOnly(async () => {
          await redis.parleyLimitLeaseRelease(key, mine);
        }),
      };
    },

    async reserve(policy, subject, amount) {
      checkBudgetPolicy(policy);
      checkSubject(subject);
      checkAmount('amount', amount);
      const at = now();
      const [hashKey, zsetKey] = keys.budget(policy.name, subject, utcDay(at));
      const id = token();
      const [allowed, used, reserved] = await redis.parleyLimitBudgetReserve(
        hashKey,
        zsetKey,
        policy.limit,
        amount,
        id,
        reservationTtlMs,
        BUDGET_KEY_TTL_MS,
      );
      const decision = {
        policy,
        allowed: allowed === 1,
        remaining: Math.max(0, policy.limit - used - reserved),
        used: used + reserved,
        resetSeconds: secondsToUtcMidnight(at),
      };
      if (!decision.allowed) return { decision };
      const finish = firstCallOnly(async (actual: number) => {
        await redis.parleyLimitBudgetSettle(hashKey, zsetKey, id, actual, BUDGET_KEY_TTL_MS);
      });
      const reservation: Reservation = {
        amount,
        settle: async (actual) => {
          checkAmount('actual', actual);
          await finish(actual);
        },
        release: () => finish(0),
      };
      return { decision, reservation };
    },

    async killSwitch() {
      return killSwitchFromRecord(await redis.hgetall(keys.killSwitch()));
    },

    async setKillSwitch(state) {
      checkKillSwitch(state);
      const key = keys.killSwitch();
      // DEL + HSET in one transaction: fields of the previous state never linger.
      const results = await redis.multi().del(key).hset(key, killSwitchRecord(state, now())).exec();
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw failed?.[0] ?? new Error('kill switch transaction was aborted');
    },

    async ping() {
      await redis.ping();
    },
  };
  return store;
}
