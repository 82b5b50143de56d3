import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ServiceUnavailableError } from '@parley/platform';
import type { SessionStore } from '../domain/sessions.js';

const sessionSchema = z.object({ id: z.string(), language: z.enum(['en', 'de', 'fr']), created_at: z.string() });
const key = (tokenHash: string) => `parley:session:${tokenHash}`;

/** Redis being down is a 503 the client may retry, never a 500. */
function unavailable(err: unknown): never {
  throw new ServiceUnavailableError('Sessions are temporarily unavailable.', { cause: err, retryAfterSeconds: 2 });
}

/** Sessions in Redis: visible to every gateway replica, expiring with the idle timeout. */
export function createRedisSessionStore(redis: Redis): SessionStore {
  return {
    async create(tokenHash, session, ttlSeconds) {
      await redis.set(key(tokenHash), JSON.stringify(session), 'EX', ttlSeconds).catch(unavailable);
    },
    async touch(tokenHash, ttlSeconds) {
      // GETEX reads and slides the expiry in one round trip.
      const raw = await redis.getex(key(tokenHash), 'EX', ttlSeconds).catch(unavailable);
      if (raw === null) return undefined;
      const parsed = sessionSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    },
    async revoke(tokenHash) {
      await redis.del(key(tokenHash)).catch(unavailable);
    },
    async ping() {
      await redis.ping();
    },
  };
}
