import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createLogger, ServiceUnavailableError } from '@parley/platform';
import { captureLogs, startRedisServer, waitFor, type RedisServer } from '@parley/testkit';
import { createMemoryLimitStore } from './memory-limit-store.js';
import { createRedisLimitStore, LIMITS_REDIS_OPTIONS } from './redis-limit-store.js';
import { createResilientLimitStore } from './resilient-limit-store.js';
import type { RatePolicy } from './types.js';
import { LimitArgumentError } from './validate.js';

let server: RedisServer;
const clients: Redis[] = [];

const TEST_CLIENT_OPTIONS = { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => 50 };

async function client(options: typeof TEST_CLIENT_OPTIONS | typeof LIMITS_REDIS_OPTIONS = TEST_CLIENT_OPTIONS): Promise<Redis> {
  const r = new Redis(server.url, options);
  r.on('error', () => {}); // expected while the tests kill Redis
  clients.push(r);
  await waitFor(() => r.status === 'ready', { what: 'redis client ready' });
  return r;
}

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const data = await registry.getSingleMetric(name)?.get();
  return data?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value;
}

async function setup(onRedisFailure: 'open' | 'closed', redis?: Redis) {
  const registry = new Registry();
  const logs = captureLogs();
  const logger = createLogger({ service: 'gateway', destination: logs.stream });
  const r = redis ?? (await client());
  const keyPrefix = `test:${randomUUID()}:`;
  const store = createResilientLimitStore(createRedisLimitStore(r, { keyPrefix }), {
    onRedisFailure,
    fallback: createMemoryLimitStore(),
    logger,
    registry,
  });
  const lines = (text: string) => logs.lines.filter((l) => String(l['msg']).includes(text));
  return { store, registry, logs, lines, redis: r, keyPrefix };
}

const policy: RatePolicy = { name: 'session', limit: 3, windowSeconds: 3600 };

beforeAll(async () => {
  server = await startRedisServer();
});
afterEach(async () => {
  await server.restart(); // whatever a test did, the next one starts with a live, empty Redis
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server.stop();
});

describe('resilient limit store', () => {
  it("under 'open', keeps limiting from memory while Redis is down, logs once each way, and recovers on its own", async () => {
    const { store, registry, lines, redis, keyPrefix } = await setup('open');
    expect((await store.hit(policy, 's')).remaining).toBe(2);
    expect(await metric(registry, 'gateway_limit_store_degraded')).toBe(0);

    await server.kill();
    const during = [];
    for (let i = 0; i < 5; i++) during.push(await store.hit(policy, 's'));
    // The per-process memory starts afresh: a whole burst, then rejections.
    expect(during.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
    expect(await store.acquire('stream', 's', 60_000)).toBeDefined();
    expect((await store.reserve({ name: 'tokens', limit: 10 }, 's', 10)).decision.allowed).toBe(true);
    await expect(store.ping()).resolves.toBeUndefined();
    expect(store.degraded).toBe(true);
    expect(await metric(registry, 'gateway_limit_store_degraded')).toBe(1);
    expect(await metric(registry, 'gateway_limit_store_errors_total', { operation: 'hit' })).toBe(5);
    expect(await metric(registry, 'gateway_limit_store_errors_total', { operation: 'reserve' })).toBe(1);
    expect(lines('unavailable')).toHaveLength(1);
    expect(lines('unavailable')[0]).toMatchObject({ level: 'error', component: 'limits', operation: 'hit', on_redis_failure: 'open' });
    expect(lines('unavailable')[0]?.['err']).toBeDefined();

    await server.restart();
    await waitFor(async () => {
      await store.hit(policy, 'after');
      return !store.degraded;
    }, { what: 'the primary to be used again' });
    expect(await metric(registry, 'gateway_limit_store_degraded')).toBe(0);
    expect(lines('recovered')).toHaveLength(1);
    expect(lines('recovered')[0]).toMatchObject({ level: 'info', component: 'limits' });
    expect(await redis.keys(`${keyPrefix}rate:*`)).toHaveLength(1); // the hit went to Redis
    expect(lines('unavailable')).toHaveLength(1);
    // Decisions are counted whichever store answered.
    expect(await metric(registry, 'gateway_ratelimit_decisions_total', { policy: 'session', outcome: 'rejected' })).toBe(2);
    expect(await metric(registry, 'gateway_budget_decisions_total', { policy: 'tokens', outcome: 'allowed' })).toBe(1);
  });

  it("under 'closed', refuses with a retryable 503 while Redis is down and recovers on its own", async () => {
    const { store, registry, lines } = await setup('closed');
    expect((await store.hit(policy, 's')).allowed).toBe(true);
    await server.kill();
    const err = await store.hit(policy, 's').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect(err).toMatchObject({ status: 503, retryAfterSeconds: 2, detail: 'Rate limiting is unavailable' });
    for (const call of [
      () => store.acquire('stream', 's', 1_000),
      () => store.reserve({ name: 'tokens', limit: 10 }, 's', 1),
      () => store.killSwitch(),
      () => store.ping(),
    ]) {
      await expect(call()).rejects.toBeInstanceOf(ServiceUnavailableError);
    }
    expect(store.degraded).toBe(true);
    expect(await metric(registry, 'gateway_limit_store_degraded')).toBe(1);
    expect(await metric(registry, 'gateway_limit_store_errors_total', { operation: 'kill_switch_read' })).toBe(1);
    expect(lines('unavailable')).toHaveLength(1);
    expect(lines('unavailable')[0]?.['msg']).toContain('503');
    // Nothing was decided while down.
    expect(await metric(registry, 'gateway_ratelimit_decisions_total', { policy: 'session', outcome: 'allowed' })).toBe(1);

    await server.restart();
    const decision = await waitFor(() => store.hit(policy, 's').catch(() => undefined), { what: 'Redis to be back' });
    expect(decision.allowed).toBe(true);
    expect(store.degraded).toBe(false);
    expect(await metric(registry, 'gateway_limit_store_degraded')).toBe(0);
    expect(lines('recovered')).toHaveLength(1);
  });

  it("keeps the last kill switch state read from Redis under 'open', and refuses to change it while Redis is down", async () => {
    const { store, registry } = await setup('open');
    await store.setKillSwitch({ enabled: true, reason: 'incident', changed_by: 'ops' });
    expect(await store.killSwitch()).toMatchObject({ enabled: true, reason: 'incident' });
    await server.kill();
    expect(await store.killSwitch()).toMatchObject({ enabled: true, reason: 'incident' });
    const err = await store.setKillSwitch({ enabled: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect(err).toMatchObject({ retryAfterSeconds: 2 });
    expect(await metric(registry, 'gateway_limit_store_errors_total', { operation: 'kill_switch_write' })).toBe(1);
    expect(await store.killSwitch()).toMatchObject({ enabled: true });
  });

  it("under 'open', keeps a switched-off chat off and the gauges at the last state Redis gave while it is down", async () => {
    const { store, registry } = await setup('open');
    const cost = { name: 'cost_micro_usd', limit: 1_000 };
    const turn = { budgets: [{ policy: cost, subject: 'global', amount: 100 }] };
    const first = await store.admit(turn);
    if (first.admitted) await first.finish([400]);
    expect(await metric(registry, 'gateway_cost_budget_used_ratio')).toBe(0.4);
    await store.setKillSwitch({ enabled: true, reason: 'incident' });
    await server.kill();
    expect(await store.admit(turn)).toMatchObject({ admitted: false, refusal: 'kill_switch', killSwitch: { enabled: true, reason: 'incident' } });
    expect(await metric(registry, 'gateway_kill_switch_engaged')).toBe(1);
    await server.restart();
    await waitFor(async () => (await store.killSwitch()) && !store.degraded, { what: 'Redis to be back' });
    // Redis came back empty: the switch is off there now, and the fallback's answers never counted.
    expect(await metric(registry, 'gateway_kill_switch_engaged')).toBe(0);
    await server.kill();
    const fallbackTurn = await store.admit(turn);
    if (fallbackTurn.admitted) await fallbackTurn.finish([10]);
    expect(store.degraded).toBe(true);
    expect(await metric(registry, 'gateway_cost_budget_used_ratio')).toBe(0.4);
  });

  it('never throws from settle or lease release when Redis died meanwhile: counts it, the TTL cleans up', async () => {
    const { store, registry } = await setup('closed');
    const { reservation } = await store.reserve({ name: 'tokens', limit: 100 }, 's', 10);
    const lease = await store.acquire('stream', 's', 60_000);
    await server.kill();
    await expect(reservation!.settle(12)).resolves.toBeUndefined();
    await expect(lease!.release()).resolves.toBeUndefined();
    expect(await metric(registry, 'gateway_limit_store_errors_total', { operation: 'settle' })).toBe(1);
    expect(await metric(registry, 'gateway_limit_store_errors_total', { operation: 'lease_release' })).toBe(1);
    expect(store.degraded).toBe(true);
  });

  it('fails fast on a hung Redis with the recommended client options (commandTimeout) and recovers when it answers again', async () => {
    const { store, registry } = await setup('open', await client(LIMITS_REDIS_OPTIONS));
    const admin = await client();
    expect((await store.hit(policy, 's')).remaining).toBe(2);
    await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
    const during = await store.hit(policy, 's');
    expect(during.remaining).toBe(2); // answered by the fresh memory fallback, not Redis
    expect(store.degraded).toBe(true);
    expect(await metric(registry, 'gateway_limit_store_errors_total', { operation: 'hit' })).toBe(1);
    await waitFor(async () => {
      await store.hit(policy, 'other');
      return !store.degraded;
    }, { what: 'Redis to answer again' });
    expect((await store.hit(policy, 's')).remaining).toBeLessThanOrEqual(1);
  });

  it('passes argument errors through without degrading', async () => {
    const { store, registry } = await setup('closed');
    await expect(store.hit({ name: 'no spaces allowed', limit: 1, windowSeconds: 1 }, 's')).rejects.toBeInstanceOf(LimitArgumentError);
    expect(store.degraded).toBe(false);
    expect(await metric(registry, 'gateway_limit_store_errors_total', { operation: 'hit' })).toBe(0);
  });
});
