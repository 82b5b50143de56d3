import { Counter, Gauge, Histogram } from 'prom-client';
import { ServiceUnavailableError, type Logger } from '@parley/platform';
import { createInstrumentedLimitStore, getOrCreateMetric, type AnyRegistry } from './instrumented-limit-store.js';
import type { KillSwitchState, Lease, LimitStore, Reservation } from './types.js';
import { LimitArgumentError } from './validate.js';

export interface ResilientLimitStoreOptions {
  /**
   * What a Redis failure means. 'open': answer from `fallback`, per process (N replicas then
   * admit up to N times a limit, and leases hold per replica only). 'closed': refuse with 503.
   */
  onRedisFailure: 'open' | 'closed';
  /** Per-process store used while the primary fails under 'open' (createMemoryLimitStore()). */
  fallback: LimitStore;
  logger: Logger;
  registry?: AnyRegistry | undefined;
}

export type ResilientLimitStore = LimitStore & {
  /** True from a failed call to the primary until a call to it succeeds again. */
  readonly degraded: boolean;
};

const OPERATIONS = [
  'hit',
  'acquire',
  'lease_release',
  'reserve',
  'settle',
  'release',
  'admit',
  'finish',
  'kill_switch_read',
  'kill_switch_write',
  'ping',
] as const;
type Operation = (typeof OPERATIONS)[number];

const RETRY_AFTER_SECONDS = 2;

/**
 * Applies the configured Redis-failure policy around the global store. Every call tries the
 * primary first, so it recovers without a restart; for that to be cheap, the primary's client
 * must fail fast (enableOfflineQueue:false and a short commandTimeout, see LIMITS_REDIS_OPTIONS).
 * Logs once per transition (degraded, recovered), never per request. Also counts decisions
 * (createInstrumentedLimitStore): do not instrument the result again.
 *
 * Whatever the policy: changing the kill switch needs the primary (a switch only one replica
 * knows about would mislead the operator), so it throws 503 while Redis is down; reading it
 * under 'open' answers the last state read from Redis, and so does admission (a switched-off
 * chat stays off). Settling or releasing a reservation or lease that Redis holds never throws
 * (it runs after the response); a failure there is counted and the entry expires by its TTL.
 */
export function createResilientLimitStore(primary: LimitStore, options: ResilientLimitStoreOptions): ResilientLimitStore {
  const { fallback, onRedisFailure: policy } = options;
  const log = options.logger.child({ component: 'limits' });
  const errors = getOrCreateMetric(
    options.registry,
    'gateway_limit_store_errors_total',
    (registers) =>
      new Counter<'operation'>({
        name: 'gateway_limit_store_errors_total',
        help: 'Failed calls to the global (Redis) limit store, by operation.',
        labelNames: ['operation'],
        registers,
      }),
  );
  const degradedGauge = getOrCreateMetric(
    options.registry,
    'gateway_limit_store_degraded',
    (registers) =>
      new Gauge({
        name: 'gateway_limit_store_degraded',
        help: '1 while the global (Redis) limit store is failing and the Redis-failure policy applies, else 0.',
        registers,
      }),
  );
  const latency = getOrCreateMetric(
    options.registry,
    'gateway_limit_store_duration_seconds',
    (registers) =>
      new Histogram<'operation'>({
        name: 'gateway_limit_store_duration_seconds',
        help: 'Duration of calls to the global (Redis) limit store, by operation, failures included.',
        labelNames: ['operation'],
        buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
        registers,
      }),
  );
  for (const operation of OPERATIONS) errors.inc({ operation }, 0);
  degradedGauge.set(0);

  let degraded = false;
  let degradedSince = 0;
  let lastKillSwitch: KillSwitchState | undefined;
  /** Answers the fallback gave: the gauges of the shared state ignore them. */
  const fallbackAnswers = new WeakSet<object>();

  const failed = (operation: Operation, err: unknown): void => {
    errors.inc({ operation });
    if (degraded) return;
    degraded = true;
    degradedSince = Date.now();
    degradedGauge.set(1);
    const consequence =
      policy === 'open'
        ? 'limits are enforced per process from memory until it is back'
        : 'limited requests are refused with 503 until it is back';
    log.error({ err, operation, on_redis_failure: policy }, `limit store is unavailable: ${consequence}`);
  };
  const succeeded = (operation: Operation): void => {
    if (!degraded) return;
    degraded = false;
    degradedGauge.set(0);
    log.info({ operation, degraded_seconds: (Date.now() - degradedSince) / 1000 }, 'limit store recovered: limits are global again');
  };
  const unavailable = (err: unknown): ServiceUnavailableError =>
    new ServiceUnavailableError('Rate limiting is unavailable', { cause: err, retryAfterSeconds: RETRY_AFTER_SECONDS });

  /** Runs a primary call, or applies the policy when it fails. */
  async function guarded<T>(operation: Operation, call: () => Promise<T>, fallbackCall: () => Promise<T>): Promise<T> {
    let result: T;
    const stop = latency.startTimer({ operation });
    try {
      result = await call();
    } catch (err) {
      stop();
      if (err instanceof LimitArgumentError) throw err;
      failed(operation, err);
      if (policy === 'closed') throw unavailable(err);
      const answer = await fallbackCall();
      if (typeof answer === 'object' && answer !== null) fallbackAnswers.add(answer);
      return answer;
    }
    stop();
    succeeded(operation);
    return result;
  }

  /** Follow-ups after the response (settle, release): failures are counted, not thrown. */
  async function quietly(operation: Operation, call: () => Promise<void>): Promise<void> {
    const stop = latency.startTimer({ operation });
    try {
      await call();
    } catch (err) {
      stop();
      if (err instanceof LimitArgumentError) throw err;
      failed(operation, err);
      return;
    }
    stop();
    succeeded(operation);
  }

  const wrapLease = (lease: Lease): Lease => ({ release: () => quietly('lease_release', () => lease.release()) });
  const wrapReservation = (r: Reservation): Reservation => ({
    amount: r.amount,
    settle: (actual) => quietly('settle', () => r.settle(actual)),
    release: () => quietly('release', () => r.release()),
  });

  const core: LimitStore = {
    hit: (policy, subject) =>
      guarded(
        'hit',
        () => primary.hit(policy, subject),
        () => fallback.hit(policy, subject),
      ),
    hitAll: (hits) =>
      guarded(
        'hit',
        () => primary.hitAll(hits),
        () => fallback.hitAll(hits),
      ),
    admit: (request) =>
      guarded(
        'admit',
        async () => {
          const admission = await primary.admit(request);
          if (!admission.admitted) return admission;
          return { ...admission, finish: (actuals: number[] | null) => quietly('finish', () => admission.finish(actuals)) };
        },
        // The last switch state read from Redis holds here too: an outage must not switch chat back on.
        async () => (lastKillSwitch?.enabled ? { admitted: false, refusal: 'kill_switch', killSwitch: { ...lastKillSwitch } } : fallback.admit(request)),
      ),
    acquire: (name, subject, ttlMs) =>
      guarded(
        'acquire',
        async () => {
          const lease = await primary.acquire(name, subject, ttlMs);
          return lease && wrapLease(lease);
        },
        () => fallback.acquire(name, subject, ttlMs),
      ),
    reserve: (policy, subject, amount) =>
      guarded(
        'reserve',
        async () => {
          const { decision, reservation } = await primary.reserve(policy, subject, amount);
          return reservation ? { decision, reservation: wrapReservation(reservation) } : { decision };
        },
        () => fallback.reserve(policy, subject, amount),
      ),
    killSwitch: () =>
      guarded(
        'kill_switch_read',
        async () => {
          const state = await primary.killSwitch();
          lastKillSwitch = state;
          return state;
        },
        async () => (lastKillSwitch ? { ...lastKillSwitch } : fallback.killSwitch()),
      ),
    async setKillSwitch(state) {
      try {
        await primary.setKillSwitch(state);
      } catch (err) {
        if (err instanceof LimitArgumentError) throw err;
        failed('kill_switch_write', err);
        throw new ServiceUnavailableError('The kill switch cannot be changed while Redis is unavailable', {
          cause: err,
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        });
      }
      succeeded('kill_switch_write');
      // What reads answer under 'open' if Redis fails before the next successful read.
      lastKillSwitch = { ...state };
    },
    ping: () =>
      guarded(
        'ping',
        () => primary.ping(),
        () => fallback.ping(),
      ),
  };

  const instrumented = createInstrumentedLimitStore(core, { registry: options.registry, fromFallback: (answer) => fallbackAnswers.has(answer) });
  return {
    ...instrumented,
    get degraded() {
      return degraded;
    },
  };
}
