import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '@parley/platform';
import { startRedisServer, waitFor, type RedisServer } from '@parley/testkit';
import { createRedisConversationStore } from './redis-conversation-store.js';

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  redis.on('error', () => {}); // expected while the test kills Redis
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

const msg = (i: number) => ({ id: `m${i}`, role: i % 2 ? ('assistant' as const) : ('user' as const), content: `text ${i}`, created_at: '2026-01-01T00:00:00.000Z' });

describe('Redis conversation store', () => {
  it('keeps history in order, trimmed to the newest messages', async () => {
    const store = createRedisConversationStore(redis, { idleTtlSeconds: 60, maxMessages: 4 });
    for (let i = 0; i < 6; i++) await store.append('s-trim', msg(i));
    expect((await store.history('s-trim', 100)).map((m) => m.id)).toEqual(['m2', 'm3', 'm4', 'm5']);
    expect((await store.history('s-trim', 2)).map((m) => m.id)).toEqual(['m4', 'm5']);
  });

  it('purges a conversation once the session has been idle for the timeout', async () => {
    const store = createRedisConversationStore(redis, { idleTtlSeconds: 1, maxMessages: 10 });
    await store.append('s-idle', msg(0));
    expect(await store.history('s-idle', 10)).toHaveLength(1);
    await waitFor(async () => (await redis.exists('parley:conv:{s-idle}')) === 0, { what: 'history to expire', timeoutMs: 5_000 });
    expect(await store.history('s-idle', 10)).toEqual([]);
  });

  it('slides the expiry on every read, not only on writes', async () => {
    const store = createRedisConversationStore(redis, { idleTtlSeconds: 60, maxMessages: 10 });
    await store.append('s-read', msg(0));
    await redis.expire('parley:conv:{s-read}', 5);
    await store.history('s-read', 10);
    expect(await redis.ttl('parley:conv:{s-read}')).toBeGreaterThan(50);
  });

  it('erases a conversation and reports how many messages it held', async () => {
    const store = createRedisConversationStore(redis, { idleTtlSeconds: 60, maxMessages: 10 });
    await store.append('s-erase', msg(0));
    await store.append('s-erase', msg(1));
    expect(await store.erase('s-erase')).toBe(2);
    expect(await store.history('s-erase', 10)).toEqual([]);
    expect(await store.erase('s-erase')).toBe(0);
  });

  it('reports Redis being down as a retryable 503', async () => {
    const store = createRedisConversationStore(redis, { idleTtlSeconds: 60, maxMessages: 10 });
    await server.kill();
    await expect(store.history('s-down', 10)).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(store.append('s-down', msg(0))).rejects.toBeInstanceOf(ServiceUnavailableError);
    await server.restart();
    await waitFor(() => store.ping().then(() => true).catch(() => false), { what: 'redis back', timeoutMs: 10_000 });
  });
});
