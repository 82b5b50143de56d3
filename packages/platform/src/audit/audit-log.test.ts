import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs, startRedisServer, waitFor, type CapturedLogs, type RedisServer } from '@parley/testkit';
import { ValidationError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { AUDIT_GENESIS_HASH, computeAuditHash } from './chain.js';
import { createChainedAuditLog, type ChainStore } from './audit-log.js';
import { createMemoryAuditLog, createMemoryChainStore } from './memory-audit-log.js';
import { createRedisAuditLog } from './redis-audit-log.js';
import { streamIdTime } from './stream-id.js';
import type { AuditEvent, AuditLog, AuditLogOptions, AuditRecord } from './types.js';

const DAY_MS = 86_400_000;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

const event = (i: number, over: Partial<AuditEvent> = {}): AuditEvent => ({
  type: 'auth.success',
  principal: `sess-${i}`,
  principal_kind: 'session',
  outcome: 'success',
  ...over,
});

interface Harness {
  log: AuditLog;
  logs: CapturedLogs;
  options: AuditLogOptions;
}

interface Fixture {
  create(over?: Partial<AuditLogOptions>): Harness;
  /** Returns once the store's clock is past the millisecond of `id`, so later records get later ids. */
  passMillisecondOf(id: string): Promise<void>;
}

let server: RedisServer;
const clients: Redis[] = [];
let keyCounter = 0;

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server.stop();
});

const harness = (make: (options: AuditLogOptions) => AuditLog, over: Partial<AuditLogOptions>): Harness => {
  const logs = captureLogs();
  const options: AuditLogOptions = { logger: createLogger({ service: 'test', destination: logs.stream }), ...over };
  return { log: make(options), logs, options };
};

const idMs = (id: string) => (streamIdTime(id) as Date).getTime();

function memoryFixture(): Fixture {
  let clock = Date.parse('2025-03-01T00:00:00Z');
  return {
    create: (over = {}) => harness((o) => createMemoryAuditLog(o), { now: () => new Date(clock), ...over }),
    passMillisecondOf: async (id) => {
      clock = Math.max(clock, idMs(id) + 1);
    },
  };
}

function redisFixture(): Fixture {
  const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  clients.push(redis);
  const streamKey = `test:audit:${++keyCounter}`;
  return {
    create: (over = {}) => harness((o) => createRedisAuditLog(redis, { ...o, streamKey }), over),
    // Stream ids come from Redis's clock, so wait on that clock.
    passMillisecondOf: async (id) => {
      await waitFor(async () => {
        const [sec, usec] = await redis.time();
        return Number(sec) * 1000 + Math.floor(Number(usec) / 1000) > idMs(id);
      }, { what: 'the Redis clock to pass a record id' });
    },
  };
}

/** Appends n records, each in a later millisecond than the one before. */
async function appendSpread(f: Fixture, log: AuditLog, n: number, make: (i: number) => AuditEvent = event): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for (let i = 0; i < n; i++) {
    const last = out.at(-1);
    if (last) await f.passMillisecondOf(last.id);
    out.push(await log.append(make(i)));
  }
  return out;
}

describe.each([
  ['memory', memoryFixture],
  ['redis', redisFixture],
] as const)('%s audit log', (_name, fixture) => {
  it('chains each record to the one before, starting from 64 zeros', async () => {
    const { log } = fixture().create({ now: () => new Date('2025-03-01T10:00:00.000Z') });
    const first = await log.append(event(1, { reason: 'ok', trace_id: TRACE, client_ip: '203.0.113.0/24', details: { n: 1, ok: true } }));
    const second = await log.append(event(2));
    expect(first).toMatchObject({ type: 'auth.success', principal: 'sess-1', time: '2025-03-01T10:00:00.000Z', prev_hash: AUDIT_GENESIS_HASH });
    expect(first.id).toMatch(/^\d+-\d+$/);
    const { id: _id, hash, ...content } = first;
    expect(hash).toBe(computeAuditHash(content));
    expect(second.prev_hash).toBe(first.hash);
    expect(await log.verify()).toEqual({ ok: true, checked: 2, broken_at: null });
  });

  it('mirrors every append as one structured "audit" log line holding the record', async () => {
    const { log, logs } = fixture().create();
    const record = await log.append(event(1, { trace_id: TRACE, details: { route: '/v1/chat/completions' } }));
    const lines = logs.lines.filter((l) => l['msg'] === 'audit');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', audit: record });
  });

  it('counts writes by bounded type and outcome and times them', async () => {
    const { registry } = createMetrics({ defaultMetrics: false });
    const { log } = fixture().create({ registry });
    await log.append(event(1));
    await log.append(event(2, { type: 'custom.thing' }));
    await expect(log.append(event(3, { principal: 'pst_abc' }))).rejects.toBeInstanceOf(ValidationError);
    const writes = (await registry.getSingleMetric('audit_writes_total')?.get())?.values ?? [];
    const count = (type: string, outcome: string) => writes.find((v) => v.labels['type'] === type && v.labels['outcome'] === outcome)?.value;
    expect(count('auth.success', 'ok')).toBe(1);
    expect(count('other', 'ok')).toBe(1);
    expect(count('auth.success', 'error')).toBe(1);
    const duration = (await registry.getSingleMetric('audit_write_duration_seconds')?.get())?.values ?? [];
    expect(duration.find((v) => (v as { metricName?: string }).metricName === 'audit_write_duration_seconds_count')?.value).toBe(3);
  });

  it('shares metrics when two audit logs use one registry', async () => {
    const { registry } = createMetrics({ defaultMetrics: false });
    const f = fixture();
    await f.create({ registry }).log.append(event(1));
    await f.create({ registry }).log.append(event(2));
    const writes = (await registry.getSingleMetric('audit_writes_total')?.get())?.values ?? [];
    expect(writes.find((v) => v.labels['outcome'] === 'ok')?.value).toBe(2);
  });

  describe('validation', () => {
    it.each([
      ['a bearer session token as principal', { principal: 'pst_Zm9vYmFyYmF6cXV4cXV1eHh4eHh4eHh4eHh4eHh4eHg' }],
      ['an API key as principal', { principal: 'pk_live_abcdef' }],
      ['a JWT as principal', { principal: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig' }],
      ['a key after a prefix', { principal: 'key:sk-abcdef' }],
      ['an e-mail as principal', { principal: 'alice@example.com' }],
      ['a secret in details', { details: { header: 'Bearer abc' } }],
      ['a token as reason', { reason: 'pst_abc' }],
      ['an unknown type shape', { type: 'AuthSuccess' }],
      ['a type without a dot', { type: 'auth' }],
      ['an unknown outcome', { outcome: 'ok' as never }],
      ['a bad trace id', { trace_id: 'xyz' }],
      ['a raw client address with junk', { client_ip: '203.0.113.7:443' }],
      ['nested details', { details: { a: { b: 1 } as never } }],
      ['too many details', { details: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i])) }],
      ['message text as an extra field', { message: 'hello model' } as never],
    ])('rejects %s with a ValidationError, storing nothing', async (_what, over) => {
      const { log, logs } = fixture().create();
      const err = await log.append(event(1, over)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((await log.query({})).records).toHaveLength(0);
      expect(logs.lines.find((l) => l['msg'] === 'audit event rejected')).toMatchObject({ level: 'error', audit_type: expect.any(String) });
    });

    it('never writes the rejected credential to the logs', async () => {
      const { log, logs } = fixture().create();
      await expect(log.append(event(1, { principal: 'pst_secretvalue123' }))).rejects.toBeInstanceOf(ValidationError);
      await expect(log.append(event(1, { details: { auth: 'eyJhbGciOiJub25lIn0.e30.' } }))).rejects.toBeInstanceOf(ValidationError);
      expect(logs.text()).not.toMatch(/pst_secretvalue123|eyJhbGciOiJub25lIn0/);
    });

    it('accepts known and new dot-separated types, pseudonymous ids and truncated networks', async () => {
      const { log } = fixture().create();
      await log.append(event(1, { type: 'safety.blocked', principal: 'oidc:0123456789abcdef01234567', client_ip: '2001:db8:abcd::/48' }));
      await log.append(event(2, { type: 'export.audit_read', principal: '7d3c9a1e-2f4b-4c1d-9e8f-0a1b2c3d4e5f', client_ip: 'unknown' }));
      // Words that merely contain a credential prefix are not credentials.
      await log.append(event(3, { principal: 'task-42', reason: 'eyjafjallajokull', details: { level: 'risk-high', tag: 'desk_pk' } }));
      expect(await log.verify()).toMatchObject({ ok: true, checked: 3 });
    });
  });

  describe('query', () => {
    it('returns records oldest first, paging with an opaque cursor that is null at the end', async () => {
      const { log } = fixture().create();
      const all: AuditRecord[] = [];
      for (let i = 0; i < 7; i++) all.push(await log.append(event(i)));
      const p1 = await log.query({ limit: 3 });
      const p2 = await log.query({ limit: 3, cursor: p1.next_cursor as string });
      const p3 = await log.query({ limit: 3, cursor: p2.next_cursor as string });
      expect([...p1.records, ...p2.records, ...p3.records]).toEqual(all);
      expect(p3.records).toHaveLength(1);
      expect(p3.next_cursor).toBeNull();
    });

    it('filters by type, principal and trace id, filling a page from further entries', async () => {
      const { log } = fixture().create();
      for (let i = 0; i < 30; i++) {
        await log.append(i % 10 === 0 ? event(i, { type: 'authz.denied', outcome: 'denied', principal: 'key_a', trace_id: TRACE }) : event(i));
      }
      const denied = await log.query({ type: 'authz.denied', limit: 5 });
      expect(denied.records.map((r) => r.principal)).toEqual(['key_a', 'key_a', 'key_a']);
      expect(denied.next_cursor).toBeNull();
      expect((await log.query({ principal: 'key_a', limit: 2 })).records).toHaveLength(2);
      expect((await log.query({ trace_id: TRACE, type: 'authz.denied' })).records).toHaveLength(3);
      expect((await log.query({ principal: 'nobody' })).records).toEqual([]);
    });

    it('bounds the work of a filtered page to 10 x limit entries and resumes from the cursor', async () => {
      const { log } = fixture().create();
      for (let i = 0; i < 25; i++) await log.append(event(i));
      const needle = await log.append(event(99, { principal: 'needle' }));
      const first = await log.query({ principal: 'needle', limit: 1 });
      expect(first.records).toEqual([]);
      expect(first.next_cursor).not.toBeNull();
      let page = first;
      const found: AuditRecord[] = [];
      for (let calls = 0; page.next_cursor !== null && calls < 5; calls++) {
        page = await log.query({ principal: 'needle', limit: 1, cursor: page.next_cursor });
        found.push(...page.records);
      }
      expect(found).toEqual([needle]);
    });

    it('selects a time range by record arrival, from inclusive and to exclusive', async () => {
      const f = fixture();
      const { log } = f.create();
      const recs = await appendSpread(f, log, 5);
      const at = (i: number) => new Date(idMs((recs[i] as AuditRecord).id));
      const mid = await log.query({ from: at(1), to: at(3) });
      expect(mid.records.map((r) => r.id)).toEqual([recs[1]?.id, recs[2]?.id]);
      expect((await log.query({ from: at(3) })).records).toHaveLength(2);
      expect((await log.query({ to: at(1) })).records).toHaveLength(1);
      expect((await log.query({ from: at(3), to: at(1) })).records).toEqual([]);
      // A cursor from a page never widens the range.
      expect((await log.query({ from: at(3), cursor: recs[0]?.id as string })).records.map((r) => r.id)).toEqual([recs[3]?.id, recs[4]?.id]);
    });

    it('clamps the limit to 1..1000 and rejects a malformed cursor', async () => {
      const { log } = fixture().create();
      for (let i = 0; i < 3; i++) await log.append(event(i));
      expect((await log.query({ limit: 0 })).records).toHaveLength(1);
      expect((await log.query({ limit: 5000 })).records).toHaveLength(3);
      await expect(log.query({ cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(ValidationError);
      await expect(log.query({ from: new Date(Number.NaN) })).rejects.toBeInstanceOf(ValidationError);
    });
  });

  describe('retention', () => {
    it('trims records older than the retention period and still verifies from the anchor', async () => {
      const f = fixture();
      const { log, logs } = f.create({ retentionDays: 30 });
      const old = await appendSpread(f, log, 4);
      await f.passMillisecondOf((old.at(-1) as AuditRecord).id);
      const kept = await appendSpread(f, log, 3, (i) => event(100 + i));
      const now = new Date(idMs((kept[0] as AuditRecord).id) + 30 * DAY_MS);

      expect(await log.trim(now)).toBe(4);
      expect((await log.query({})).records).toEqual(kept);
      expect(await log.verify()).toEqual({ ok: true, checked: 3, broken_at: null });
      expect(logs.lines.find((l) => l['msg'] === 'audit trimmed')).toMatchObject({
        audit_trim: { removed: 4, anchor: { id: old.at(-1)?.id, hash: old.at(-1)?.hash } },
      });

      // Appends keep chaining from the head, and trimming again removes nothing new.
      await log.append(event(200));
      expect(await log.trim(now)).toBe(0);
      expect(await log.verify()).toMatchObject({ ok: true, checked: 4 });
    });

    it('verifies an empty trail after everything was trimmed', async () => {
      const f = fixture();
      const { log } = f.create({ retentionDays: 1 });
      const recs = await appendSpread(f, log, 2);
      expect(await log.trim(new Date(idMs((recs[1] as AuditRecord).id) + 2 * DAY_MS))).toBe(2);
      expect(await log.verify()).toEqual({ ok: true, checked: 0, broken_at: null });
      const next = await log.append(event(3));
      expect(next.prev_hash).toBe(recs[1]?.hash);
      expect(await log.verify()).toEqual({ ok: true, checked: 1, broken_at: null });
    });

    it('defaults to 180 days and to the injected clock', async () => {
      let clock = new Date('2025-01-01T00:00:00Z');
      const f = fixture();
      const { log } = f.create({ now: () => clock });
      const rec = await log.append(event(1));
      clock = new Date(idMs(rec.id) + 180 * DAY_MS);
      expect(await log.trim()).toBe(0);
      clock = new Date(idMs(rec.id) + 180 * DAY_MS + 1);
      expect(await log.trim()).toBe(1);
    });
  });

  it('verifies across many pages', async () => {
    const { log } = fixture().create({ verifyPageSize: 4 });
    for (let i = 0; i < 17; i++) await log.append(event(i));
    expect(await log.verify()).toEqual({ ok: true, checked: 17, broken_at: null });
  });

  it('serialises concurrent appends from one process into one chain', async () => {
    const { log } = fixture().create();
    const records = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(event(i))));
    const { records: stored } = await log.query({ limit: 1000 });
    expect(stored).toHaveLength(50);
    stored.forEach((r, i) => expect(r.prev_hash).toBe(i === 0 ? AUDIT_GENESIS_HASH : stored[i - 1]?.hash));
    expect(new Set(records.map((r) => r.hash)).size).toBe(50);
    expect(await log.verify()).toMatchObject({ ok: true, checked: 50 });
  });

  it('an untouched trail verifies and says so in the logs', async () => {
    const { log, logs } = fixture().create();
    for (let i = 0; i < 5; i++) await log.append(event(i));
    expect(await log.verify()).toEqual({ ok: true, checked: 5, broken_at: null });
    expect(logs.lines.find((l) => l['msg'] === 'audit chain verified')).toMatchObject({ audit_verify: { ok: true, checked: 5 } });
  });
});

describe('audit log options', () => {
  it('rejects settings that cannot work as a programming error', () => {
    const logger = createLogger({ service: 'test', destination: captureLogs().stream });
    expect(() => createMemoryAuditLog({ logger, retentionDays: 0 })).toThrow(RangeError);
    expect(() => createMemoryAuditLog({ logger, maxAppendAttempts: 0 })).toThrow(RangeError);
    expect(() => createMemoryAuditLog({ logger, verifyPageSize: 1.5 })).toThrow(RangeError);
  });
});

describe('memory audit log', () => {
  it('says in the logs that the trail is not durable', () => {
    const logs = captureLogs();
    createMemoryAuditLog({ logger: createLogger({ service: 'test', destination: logs.stream }) });
    expect(logs.lines[0]).toMatchObject({ level: 'warn', audit_store: 'memory' });
  });
});

describe('verify while trim runs', () => {
  it('starts over instead of reporting the records trim removed mid-walk as tampering', async () => {
    let clock = Date.parse('2025-01-01T00:00:00Z');
    const now = () => new Date(clock);
    const inner = createMemoryChainStore(now);
    let trimDuringWalk: (() => Promise<unknown>) | undefined;
    const store: ChainStore = {
      ...inner,
      range: async (start, end, count) => {
        const page = await inner.range(start, end, count);
        const hook = trimDuringWalk;
        trimDuringWalk = undefined;
        if (hook) await hook();
        return page;
      },
    };
    const logs = captureLogs();
    const log = createChainedAuditLog(store, { logger: createLogger({ service: 'test', destination: logs.stream }), now, retentionDays: 1, verifyPageSize: 2 });
    for (let i = 0; i < 6; i++) {
      await log.append(event(i));
      clock += 1000;
    }
    const cut = new Date(clock - 3000 + DAY_MS); // keeps the last three records
    trimDuringWalk = () => log.trim(cut);
    expect(await log.verify()).toEqual({ ok: true, checked: 3, broken_at: null });
  });
});
