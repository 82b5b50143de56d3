import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '@parley/platform';
import { startRedisServer, waitFor, type RedisServer } from '@parley/testkit';
import { createMemoryFeedbackStore } from './memory-feedback-store.js';
import { createRedisFeedbackStore } from './redis-feedback-store.js';
import type { FeedbackStore, NewFeedback } from './types.js';

// One behavioural suite, run against both stores: the memory twin must behave like Redis.

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  redis = server.client();
});
afterAll(async () => {
  await server.stop();
});

const DAY = 86_400_000;

/** A clock the test moves; real time plus an offset, since Redis stamps stream ids itself. */
function clock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms: number) => void (offset += ms) };
}

interface Harness {
  name: string;
  create(options: { retentionDays: number; now: () => number }): FeedbackStore;
}

const harnesses: Harness[] = [
  { name: 'memory store', create: (options) => createMemoryFeedbackStore(options) },
  // A fresh stream per test keeps tests apart on the shared server.
  { name: 'Redis store', create: (options) => createRedisFeedbackStore(redis, { ...options, streamKey: `test:${randomUUID()}:feedback` }) },
];

const fb = (session: string, message: string, rating: 'up' | 'down' = 'up', comment: string | null = null): NewFeedback => ({
  session_id: session,
  message_id: message,
  rating,
  comment,
  created_at: new Date().toISOString(),
});

describe.each(harnesses)('$name', (harness) => {
  const make = (retentionDays = 90) => {
    const c = clock();
    return { store: harness.create({ retentionDays, now: c.now }), clock: c };
  };

  it('keeps every field and lists newest first with stream ids as cursors', async () => {
    const { store } = make();
    const first = await store.put(fb('s1', 'm1', 'up', 'Helpful, thanks'));
    const second = await store.put(fb('s2', 'm2', 'down'));
    expect(first.replaced).toBe(false);
    expect(first.entry.id).toMatch(/^\d+-\d+$/);
    const page = await store.list({ limit: 10 });
    expect(page).toEqual({
      feedback: [
        { id: second.entry.id, session_id: 's2', message_id: 'm2', rating: 'down', comment: null, created_at: expect.any(String) },
        { id: first.entry.id, session_id: 's1', message_id: 'm1', rating: 'up', comment: 'Helpful, thanks', created_at: expect.any(String) },
      ],
      next_cursor: null,
    });
  });

  it('keeps one rating per message per session: a second one replaces the first', async () => {
    const { store } = make();
    await store.put(fb('s1', 'm1', 'up'));
    await store.put(fb('s2', 'm1', 'up'));
    const again = await store.put(fb('s1', 'm1', 'down', 'changed my mind'));
    expect(again.replaced).toBe(true);
    const all = (await store.list({ limit: 10 })).feedback;
    expect(all.map((e) => [e.session_id, e.rating])).toEqual([
      ['s1', 'down'],
      ['s2', 'up'],
    ]);
    expect(await store.forSession('s1')).toEqual([expect.objectContaining({ message_id: 'm1', rating: 'down', comment: 'changed my mind' })]);
  });

  it("returns a session's feedback oldest first and erases exactly that session's entries", async () => {
    const { store } = make();
    await store.put(fb('keep', 'k1'));
    await store.put(fb('gone', 'g1', 'up'));
    await store.put(fb('gone', 'g2', 'down', 'meh'));
    expect((await store.forSession('gone')).map((e) => e.message_id)).toEqual(['g1', 'g2']);
    expect(await store.erase('gone')).toBe(2);
    expect(await store.forSession('gone')).toEqual([]);
    expect((await store.list({ limit: 10 })).feedback.map((e) => e.session_id)).toEqual(['keep']);
    expect(await store.erase('gone')).toBe(0);
    expect(await store.forSession('nobody')).toEqual([]);
  });

  it('pages with a cursor, filters by rating and by time', async () => {
    const { store } = make();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await store.put(fb('s', `m${i}`, i % 2 ? 'down' : 'up'))).entry.id);
    const newestFirst = [...ids].reverse();

    const first = await store.list({ limit: 2 });
    expect(first.feedback.map((e) => e.id)).toEqual(newestFirst.slice(0, 2));
    expect(first.next_cursor).toBe(newestFirst[1]);
    const second = await store.list({ limit: 2, cursor: first.next_cursor ?? '' });
    expect(second.feedback.map((e) => e.id)).toEqual(newestFirst.slice(2, 4));
    const third = await store.list({ limit: 2, cursor: second.next_cursor ?? '' });
    expect(third).toEqual({ feedback: [expect.objectContaining({ id: newestFirst[4] })], next_cursor: null });
    // Exactly a page left: no cursor pointing at an empty page.
    expect((await store.list({ limit: 5 })).next_cursor).toBeNull();

    const ups = await store.list({ limit: 2, rating: 'up' });
    expect(ups.feedback.map((e) => e.message_id)).toEqual(['m4', 'm2']);
    const moreUps = await store.list({ limit: 2, rating: 'up', cursor: ups.next_cursor ?? '' });
    expect(moreUps).toEqual({ feedback: [expect.objectContaining({ message_id: 'm0' })], next_cursor: null });

    expect((await store.list({ limit: 10, since: new Date(Date.now() + DAY) })).feedback).toEqual([]);
    expect((await store.list({ limit: 10, until: new Date(Date.now() - DAY) })).feedback).toEqual([]);
    expect((await store.list({ limit: 10, since: new Date(Date.now() - DAY), until: new Date(Date.now() + DAY) })).feedback).toHaveLength(5);
  });

  it('drops feedback older than the retention period on the next write, and on trim()', async () => {
    const { store, clock: c } = make(1);
    await store.put(fb('old', 'o1'));
    c.advance(DAY + 5_000);
    await store.put(fb('new', 'n1'));
    expect((await store.list({ limit: 10 })).feedback.map((e) => e.session_id)).toEqual(['new']);
    expect(await store.forSession('old')).toEqual([]);
    expect(await store.erase('old')).toBe(0);

    c.advance(2 * DAY);
    expect(await store.trim()).toBe(1);
    expect((await store.list({ limit: 10 })).feedback).toEqual([]);
    expect(await store.trim()).toBe(0);
  });
});

describe('Redis feedback store', () => {
  it('keeps entries in one stream, with a per-session index that expires with the retention', async () => {
    const streamKey = `test:${randomUUID()}:feedback`;
    const store = createRedisFeedbackStore(redis, { retentionDays: 90, streamKey });
    await store.put(fb('sess', 'm1', 'down', 'too long'));
    const [[, fields] = ['', []]] = await redis.xrange(streamKey, '-', '+');
    expect(fields).toEqual(['session_id', 'sess', 'message_id', 'm1', 'rating', 'down', 'comment', 'too long', 'created_at', expect.any(String)]);
    const ttl = await redis.pttl(`${streamKey}:session:sess`);
    expect(ttl).toBeGreaterThan(89 * DAY);
    expect(ttl).toBeLessThanOrEqual(90 * DAY);
  });

  it('skips a stream entry it did not write without ending the paging early', async () => {
    const streamKey = `test:${randomUUID()}:feedback`;
    const store = createRedisFeedbackStore(redis, { retentionDays: 90, streamKey });
    await store.put(fb('s', 'older'));
    await redis.xadd(streamKey, '*', 'something', 'else');
    await store.put(fb('s', 'newer'));
    const first = await store.list({ limit: 1 });
    expect(first.feedback.map((e) => e.message_id)).toEqual(['newer']);
    const second = await store.list({ limit: 1, cursor: first.next_cursor ?? '' });
    expect(second).toEqual({ feedback: [expect.objectContaining({ message_id: 'older' })], next_cursor: null });
  });

  it('sends comments only inside XADD, whose arguments the ioredis instrumentation leaves out of spans (unlike EVAL/EVALSHA)', async () => {
    const store = createRedisFeedbackStore(redis, { retentionDays: 90, streamKey: `test:${randomUUID()}:feedback` });
    const monitor = await server.client().monitor();
    const commands: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => commands.push(args));
    try {
      await store.put(fb('sess-span', 'm1', 'up', 'my private remark'));
      await store.put(fb('sess-span', 'm1', 'down', 'my private remark, again'));
      await store.list({ limit: 10 });
      await store.forSession('sess-span');
      await waitFor(() => commands.some((c) => c[0]?.toLowerCase() === 'evalsha'), { what: 'the scripts to be seen' });
    } finally {
      monitor.disconnect();
    }
    const carrying = commands.filter((c) => c.some((arg) => arg.includes('private remark')));
    expect(carrying.map((c) => c[0]?.toLowerCase())).toEqual(['xadd', 'xadd']);
  });

  it('reports Redis being down as a retryable 503 and works again once it is back', async () => {
    const store = createRedisFeedbackStore(redis, { retentionDays: 90, streamKey: `test:${randomUUID()}:feedback` });
    await server.kill();
    try {
      await expect(store.put(fb('s', 'm'))).rejects.toBeInstanceOf(ServiceUnavailableError);
      await expect(store.list({ limit: 10 })).rejects.toMatchObject({ status: 503, retryAfterSeconds: 2 });
      await expect(store.erase('s')).rejects.toBeInstanceOf(ServiceUnavailableError);
    } finally {
      await server.restart();
    }
    // The scripts are gone with the old server: NOSCRIPT is handled by loading them again.
    const stored = await waitFor(() => store.put(fb('s', 'm')).catch(() => undefined), { what: 'a write after Redis is back', timeoutMs: 10_000 });
    expect(stored.replaced).toBe(false);
  });
});
