/**
 * Global limits: request rates (GCRA), concurrency leases, daily budgets and the kill switch,
 * in Redis for every replica (one atomic Lua script or command per operation, Redis TIME as
 * the clock), with an in-memory twin and a wrapper that applies the Redis-failure policy.
 *
 * Wiring (main.ts): a dedicated client `new Redis(url, { ...LIMITS_REDIS_OPTIONS, connectionName })`,
 * then createResilientLimitStore(createRedisLimitStore(client), { onRedisFailure, fallback:
 * createMemoryLimitStore(), logger, registry }); without Redis, createInstrumentedLimitStore(
 * createMemoryLimitStore(), { registry }).
 */
export type {
  Admission,
  AdmissionRequest,
  BudgetDecision,
  BudgetPolicy,
  KillSwitchState,
  Lease,
  LimitStore,
  RateDecision,
  RateHit,
  RatePolicy,
  Reservation,
} from './types.js';
export { admitStepByStep } from './admission.js';
export { createRedisLimitStore, LIMITS_REDIS_OPTIONS, type RedisLimitStoreOptions } from './redis-limit-store.js';
export { createMemoryLimitStore, type MemoryLimitStoreOptions } from './memory-limit-store.js';
export { createResilientLimitStore, type ResilientLimitStore, type ResilientLimitStoreOptions } from './resilient-limit-store.js';
export { COST_BUDGET_POLICY, createInstrumentedLimitStore, type AnyRegistry, type InstrumentedLimitStoreOptions } from './instrumented-limit-store.js';
export { formatResetDuration, mostRestrictive, rateLimitHeaders } from './headers.js';
export { DEFAULT_KEY_PREFIX, subjectHash } from './keys.js';
export { LimitArgumentError } from './validate.js';
