import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { captureLogs, freePort, startRedisServer, type RedisServer } from '@parley/testkit';
import { InternalError, ServiceUnavailableError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { AUDIT_GENESIS_HASH as GENESIS, computeAuditHash, encodeFields, type AuditContent } from './chain.js';
import { createRedisAuditLog, createRedisChainStore } from './redis-audit-log.js';
import type { AuditEvent, AuditLog, RedisAuditLogOptions } from './types.js';

let server: RedisServer;
let keyCounter = 0;

const client = (): Redis => server.client();

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.stop();
});

const event = (i: number, over: Partial<AuditEvent> = {}): AuditEvent => ({
  type: 'ratelimit.rejected',
  principal: `sess-${i}`,
  principal_kind: 'session',
  outcome: 'rejected',
  reason: 'rate_limit:session',
  ...over,
});

function open(redis: Redis, streamKey: string, over: Partial<RedisAuditLogOptions> = {}) {
  const logs = captureLogs();
  const log = createRedisAuditLog(redis, { logger: createLogger({ service: 'test', destination: logs.stream }), streamKey, ...over });
  return { log, logs };
}

const newKey = () => `test:audit:redis:${++keyCounter}`;

async function fill(log: AuditLog, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await log.append(event(i))).id);
  return ids;
}

/** Field/value list of a stream entry as an object, the way a reviewer reads it with redis-cli. */
const asObject = (fields: string[]) => Object.fromEntries(fields.flatMap((f, i) => (i % 2 === 0 ? [[f, fields[i + 1]]] : [])));

describe('Redis audit log: several writers', () => {
  it('keeps one chain, in stream order, when two clients append 200 records concurrently', async () => {
    const key = newKey();
    const { registry } = createMetrics({ defaultMetrics: false });
    const a = open(client(), key, { registry }).log;
    const b = open(client(), key, { registry }).log;
    // Interleaved: both writers have appends in flight at the same time throughout.
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).append(event(i, { principal: `writer-${i % 2}-${i}` }))));
    expect(new Set(results.map((r) => r.id)).size).toBe(200);

    const verifier = open(client(), key).log;
    expect(await verifier.verify()).toEqual({ ok: true, checked: 200, broken_at: null });

    const entries = await client().xrange(key, '-', '+');
    expect(entries).toHaveLength(200);
    let prev = GENESIS;
    for (const [, fields] of entries) {
      const f = asObject(fields);
      expect(f['prev_hash']).toBe(prev);
      prev = f['hash'] as string;
    }
    expect(await client().get(`${key}:head`)).toBe(prev);
    // Every append landed exactly once.
    expect(new Set(entries.map(([, fields]) => asObject(fields)['principal'])).size).toBe(200);
    // Both writers' first appends expected the genesis head, so at least one lost a race and rechained.
    const retries = await registry.getSingleMetric('audit_append_retries_total')?.get();
    expect(retries?.values[0]?.value).toBeGreaterThan(0);
  });

  it('rechains and retries when another writer moved the head, counting the retry', async () => {
    const key = newKey();
    const { registry } = createMetrics({ defaultMetrics: false });
    const a = open(client(), key, { registry }).log;
    const b = open(client(), key, { registry }).log;
    const first = await a.append(event(1));
    const second = await b.append(event(2)); // b still believes the head is genesis
    expect(second.prev_hash).toBe(first.hash);
    const retries = await registry.getSingleMetric('audit_append_retries_total')?.get();
    expect(retries?.values[0]?.value).toBe(1);
    expect(await a.verify()).toMatchObject({ ok: true, checked: 2 });
  });

  it('lets no writer starve when four writers append back to back', async () => {
    const key = newKey();
    // Each writer has its next record ready the moment the last one landed. Without the turn
    // a loser claims in Redis, whoever just won keeps winning and an append can lose ~150
    // races in a row; with it, a handful.
    const writers = Array.from({ length: 4 }, () => open(client(), key, { maxAppendAttempts: 32 }).log);
    const failures: unknown[] = [];
    await Promise.all(
      writers.map(async (w, k) => {
        for (let i = 0; i < 150; i++) await w.append(event(i, { principal: `writer-${k}-${i}` })).catch((err: unknown) => failures.push(err));
      }),
    );
    expect(failures).toEqual([]);
    expect(await (writers[0] as AuditLog).verify()).toEqual({ ok: true, checked: 600, broken_at: null });
  });

  it('gives up with a retryable error after the configured attempts when the head keeps moving', async () => {
    const key = newKey();
    const redis = client();
    await open(redis, key).log.append(event(1));
    // A writer allowed a single attempt, whose idea of the head (genesis) is already stale.
    const stale = open(redis, key, { maxAppendAttempts: 1 }).log;
    await expect(stale.append(event(2))).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(await client().xlen(key)).toBe(1);
  });
});

describe('Redis audit log: tampering', () => {
  it('reports chain_break at the record after one deleted from the middle', async () => {
    const key = newKey();
    const { log, logs } = open(client(), key);
    const ids = await fill(log, 10);
    await client().xdel(key, ids[4] as string);
    expect(await log.verify()).toEqual({ ok: false, checked: 5, broken_at: ids[5], reason: 'chain_break' });
    expect(logs.lines.find((l) => l['msg'] === 'audit chain verification failed')).toMatchObject({
      level: 'error',
      audit_verify: { broken_at: ids[5], reason: 'chain_break' },
    });
  });

  it('reports hash_mismatch at a record whose field was edited when the stream was rebuilt', async () => {
    const key = newKey();
    const { log } = open(client(), key);
    const ids = await fill(log, 10);
    const redis = client();
    const entries = await redis.xrange(key, '-', '+');
    await redis.del(key);
    for (const [id, fields] of entries) {
      const copy = [...fields];
      if (id === ids[6]) copy[copy.indexOf('outcome') + 1] = 'success';
      await redis.xadd(key, id, ...copy);
    }
    expect(await log.verify()).toEqual({ ok: false, checked: 7, broken_at: ids[6], reason: 'hash_mismatch' });
  });

  it('reports chain_break when two records were swapped, even with their hashes intact', async () => {
    const key = newKey();
    const { log } = open(client(), key);
    const ids = await fill(log, 6);
    const redis = client();
    const entries = await redis.xrange(key, '-', '+');
    await redis.del(key);
    const order = [0, 1, 3, 2, 4, 5].map((i) => entries[i] as [string, string[]]);
    for (const [i, [, fields]] of order.entries()) await redis.xadd(key, ids[i] as string, ...fields);
    expect(await log.verify()).toMatchObject({ ok: false, broken_at: ids[2], reason: 'chain_break' });
  });

  it('reports head_mismatch when the newest records were cut off', async () => {
    const key = newKey();
    const { log } = open(client(), key);
    const ids = await fill(log, 5);
    await client().xdel(key, ids[4] as string);
    expect(await log.verify()).toEqual({ ok: false, checked: 4, broken_at: null, reason: 'head_mismatch' });
  });

  it('reports a deleted first record as chain_break at the new first record', async () => {
    const key = newKey();
    const { log } = open(client(), key);
    const ids = await fill(log, 3);
    await client().xdel(key, ids[0] as string);
    expect(await log.verify()).toMatchObject({ ok: false, broken_at: ids[1], reason: 'chain_break' });
  });

  it('refuses to append when the head key is gone but records exist, instead of starting a second chain', async () => {
    const key = newKey();
    const { log } = open(client(), key);
    await fill(log, 2);
    await client().del(`${key}:head`);
    const fresh = open(client(), key).log;
    await expect(fresh.append(event(9))).rejects.toBeInstanceOf(InternalError);
    expect(await client().xlen(key)).toBe(2);
    expect(await log.verify()).toMatchObject({ ok: false, reason: 'head_mismatch' });
  });

  it('an untouched trail verifies', async () => {
    const key = newKey();
    const { log } = open(client(), key, { verifyPageSize: 3 });
    await fill(log, 10);
    expect(await log.verify()).toEqual({ ok: true, checked: 10, broken_at: null });
  });
});

describe('Redis audit log: storage', () => {
  it('does not append a batch twice when the same command arrives again (a resend after a lost reply)', async () => {
    const key = newKey();
    const store = createRedisChainStore(client(), key);
    const a: AuditContent = { time: '2025-01-01T00:00:00.000Z', ...event(1), prev_hash: GENESIS };
    const aHash = computeAuditHash(a);
    const b: AuditContent = { time: '2025-01-01T00:00:00.001Z', ...event(2), prev_hash: aHash };
    const bHash = computeAuditHash(b);
    const batch = [
      { hash: aHash, fields: encodeFields(a, aHash) },
      { hash: bHash, fields: encodeFields(b, bHash) },
    ];
    const first = await store.compareAndAppend(GENESIS, batch, true);
    const again = await store.compareAndAppend(GENESIS, batch, true);
    expect(first.ok).toBe(true);
    expect(again).toEqual(first);
    expect(await client().xlen(key)).toBe(2);
    // A different batch that merely expects the old head still loses the race.
    expect(await store.compareAndAppend(GENESIS, batch.slice(0, 1), true)).toEqual({ ok: false, head: bHash, yielded: false });
    expect(await open(client(), key).log.verify()).toMatchObject({ ok: true, checked: 2 });
  });

  it('stores every field readably in the stream, details as JSON', async () => {
    const key = newKey();
    const { log } = open(client(), key);
    const record = await log.append(
      event(1, { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', client_ip: '203.0.113.0/24', details: { limit: 20, window_s: 60, burst: false } }),
    );
    const [[id, fields]] = (await client().xrange(key, '-', '+')) as [[string, string[]]];
    expect(id).toBe(record.id);
    expect(asObject(fields)).toEqual({
      time: record.time,
      type: 'ratelimit.rejected',
      outcome: 'rejected',
      principal_kind: 'session',
      principal: 'sess-1',
      reason: 'rate_limit:session',
      client_ip: '203.0.113.0/24',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      details: '{"limit":20,"window_s":60,"burst":false}',
      prev_hash: GENESIS,
      hash: record.hash,
    });
    expect((await log.query({})).records).toEqual([record]);
  });

  it('keeps working after Redis forgot its scripts', async () => {
    const key = newKey();
    const { log } = open(client(), key, { retentionDays: 1 });
    await log.append(event(1));
    await client().script('FLUSH');
    await log.append(event(2));
    await client().script('FLUSH');
    expect(await log.trim(new Date(Date.now() - 2 * 86_400_000))).toBe(0);
    expect(await log.verify()).toMatchObject({ ok: true, checked: 2 });
  });

  it('stores the trim anchor next to the stream, readable with redis-cli', async () => {
    const key = newKey();
    const { log } = open(client(), key, { retentionDays: 1 });
    const records = [await log.append(event(1)), await log.append(event(2))];
    const now = new Date(Date.now() + 2 * 86_400_000);
    expect(await log.trim(now)).toBe(2);
    expect(await client().hgetall(`${key}:anchor`)).toEqual({ hash: records[1]?.hash, id: records[1]?.id, trimmed_at: now.toISOString() });
    expect(await client().xlen(key)).toBe(0);
    expect(await log.verify()).toEqual({ ok: true, checked: 0, broken_at: null });
  });

  it('pings Redis', async () => {
    await expect(open(client(), newKey()).log.ping()).resolves.toBeUndefined();
  });
});

describe('Redis audit log: Redis down', () => {
  it('rejects the append with a retryable error, logs it at error and counts it', async () => {
    const port = await freePort();
    const dead = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    dead.on('error', () => {});
    onTestFinished(() => dead.disconnect());
    const { registry } = createMetrics({ defaultMetrics: false });
    const { log, logs } = open(dead, newKey(), { registry });

    const err = await log.append(event(1, { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect((err as ServiceUnavailableError).retryable).toBe(true);

    const line = logs.lines.find((l) => l['msg'] === 'audit write failed');
    expect(line).toMatchObject({ level: 'error', audit_event: { type: 'ratelimit.rejected', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' } });
    expect(logs.lines.some((l) => l['msg'] === 'audit')).toBe(false);
    const writes = (await registry.getSingleMetric('audit_writes_total')?.get())?.values ?? [];
    expect(writes).toEqual([expect.objectContaining({ labels: { type: 'ratelimit.rejected', outcome: 'error' }, value: 1 })]);

    await expect(log.verify()).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(log.query({})).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(log.ping()).rejects.toBeInstanceOf(ServiceUnavailableError);
  });
});
