import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceUnavailableError, SessionExpiredError } from '@parley/platform';
import { startRedisServer, waitFor, type RedisServer } from '@parley/testkit';
import { SessionService } from '../domain/sessions.js';
import { createRedisSessionStore } from './redis-session-store.js';

const KEY = Buffer.from('session-signing-key-for-tests-0123456789');
let server: RedisServer;
const client = () => server.client();

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.stop();
});

describe('Redis session store', () => {
  it('lets every gateway replica see a session minted by another', async () => {
    const replicaA = new SessionService(createRedisSessionStore(client()), 60, KEY);
    const replicaB = new SessionService(createRedisSessionStore(client()), 60, KEY);
    const minted = await replicaA.mint('de');
    const session = await replicaB.authenticate(minted.token);
    expect(session).toMatchObject({ id: minted.session_id, language: 'de' });
  });

  it('stores only a hash of the token', async () => {
    const redis = client();
    const minted = await new SessionService(createRedisSessionStore(redis), 60, KEY).mint('en');
    const keys = await redis.keys('parley:session:*');
    expect(keys.join()).not.toContain(minted.token);
  });

  it('slides the idle timeout on use and expires an idle session', async () => {
    const redis = client();
    const sessions = new SessionService(createRedisSessionStore(redis), 1, KEY);
    const minted = await sessions.mint('en');
    let k: string | undefined;
    for (const candidate of await redis.keys('parley:session:*')) {
      if ((await redis.get(candidate))?.includes(minted.session_id)) k = candidate;
    }
    expect(k).toBeDefined();
    await redis.pexpire(k!, 100_000); // pretend it is old and long-lived: a touch resets it to the idle timeout
    await sessions.authenticate(minted.token);
    expect(await redis.pttl(k!)).toBeLessThanOrEqual(1000);
    await waitFor(async () => (await redis.exists(k!)) === 0, { what: 'session to expire', timeoutMs: 5_000 });
    await expect(sessions.authenticate(minted.token)).rejects.toBeInstanceOf(SessionExpiredError);
  });

  it('turns Redis being down into a retryable 503 and recovers when it is back', async () => {
    const sessions = new SessionService(createRedisSessionStore(client()), 60, KEY);
    const minted = await sessions.mint('en');
    await server.kill();
    const err = await sessions.authenticate(minted.token).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect((err as ServiceUnavailableError).retryAfterSeconds).toBe(2);
    await server.restart();
    // Data is gone after a restart without persistence: a new session works again.
    const again = await waitFor(() => sessions.mint('en').catch(() => undefined), { what: 'redis to be back', timeoutMs: 10_000 });
    expect((await sessions.authenticate(again.token)).id).toBe(again.session_id);
  });
});
