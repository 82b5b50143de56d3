import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ServiceUnavailableError } from '@parley/platform';
import type { ConversationStore, StoredMessage } from '../domain/ports.js';

const storedMessageSchema = z.object({
  id: z.string(),
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  created_at: z.string(),
});

const key = (sessionId: string) => `parley:conv:{${sessionId}}`;

function unavailable(err: unknown): never {
  throw new ServiceUnavailableError('Conversation history is temporarily unavailable.', { cause: err, retryAfterSeconds: 2 });
}

/**
 * Conversation history in a Redis list per session, trimmed to the newest messages and
 * expiring `idleTtlSeconds` after the last read or write (Redis purges it; nothing to sweep).
 */
export function createRedisConversationStore(redis: Redis, options: { idleTtlSeconds: number; maxMessages: number }): ConversationStore {
  return {
    async append(sessionId, message) {
      const k = key(sessionId);
      await redis
        .multi()
        .rpush(k, JSON.stringify(message))
        .ltrim(k, -options.maxMessages, -1)
        .expire(k, options.idleTtlSeconds)
        .exec()
        .then((results) => {
          const failed = results?.find(([err]) => err);
          if (failed) throw failed[0];
        })
        .catch(unavailable);
    },
    async history(sessionId, limit) {
      const k = key(sessionId);
      // Reading is use too: the idle expiry slides (EXPIRE on a missing key does nothing).
      const results = await redis.multi().lrange(k, -limit, -1).expire(k, options.idleTtlSeconds).exec().catch(unavailable);
      const [[err, items] = [null, []]] = results ?? [];
      if (err) unavailable(err);
      const raw = items as string[];
      return raw.flatMap((item): StoredMessage[] => {
        const parsed = storedMessageSchema.safeParse(JSON.parse(item));
        return parsed.success ? [parsed.data] : [];
      });
    },
    async erase(sessionId) {
      const k = key(sessionId);
      const [[, removed] = [null, 0]] = (await redis.multi().llen(k).del(k).exec().catch(unavailable)) ?? [];
      return Number(removed);
    },
    async ping() {
      await redis.ping();
    },
  };
}
