import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { AppError, ServiceUnavailableError } from '@parley/platform';
import { compareIds, pageNewestFirst } from './paging.js';
import { RATINGS, retentionMs, type FeedbackEntry, type FeedbackStore, type FeedbackStoreOptions } from './types.js';

export interface RedisFeedbackStoreOptions extends FeedbackStoreOptions {
  /** Default 'parley:feedback'; each session's index lives at `<streamKey>:session:<session id>`. */
  streamKey?: string;
}

/**
 * KEYS: stream, session index. ARGV: cutoff (ms; older entries go), index TTL (ms), message
 * id, id of the entry just added. Drops the session's earlier rating of the same message,
 * points the index at the new entry, and trims by age, never past the new entry (its time
 * is Redis's, the cutoff the writer's). Concurrent ratings of one message leave exactly one:
 * each swap deletes whatever the index held.
 */
const INDEX_SCRIPT = `
local old = redis.call('HGET', KEYS[2], ARGV[3])
local replaced = 0
if old then replaced = redis.call('XDEL', KEYS[1], old) end
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
local added = string.match(ARGV[4], '^(%d+)')
local cutoff = ARGV[1]
if #added < #cutoff or (#added == #cutoff and added <= cutoff) then cutoff = ARGV[4] end
redis.call('XTRIM', KEYS[1], 'MINID', cutoff)
return replaced
`;

/** KEYS: stream, session index. The session's entries (those not yet trimmed). */
const SESSION_SCRIPT = `
local out = {}
for _, id in ipairs(redis.call('HVALS', KEYS[2])) do
  local found = redis.call('XRANGE', KEYS[1], id, id)
  if found[1] then out[#out + 1] = found[1] end
end
return out
`;

/** KEYS: stream, session index. Deletes exactly the session's entries and its index. */
const ERASE_SCRIPT = `
local ids = redis.call('HVALS', KEYS[2])
local removed = 0
if #ids > 0 then removed = redis.call('XDEL', KEYS[1], unpack(ids)) end
redis.call('DEL', KEYS[2])
return removed
`;

const SHA1 = new Map([INDEX_SCRIPT, SESSION_SCRIPT, ERASE_SCRIPT].map((script) => [script, createHash('sha1').update(script).digest('hex')]));

const entryFields = z.object({
  session_id: z.string(),
  message_id: z.string(),
  rating: z.enum(RATINGS),
  comment: z.string().optional(),
  created_at: z.string(),
});

type RawEntry = [id: string, fields: string[]];

/** A stream entry as feedback; null when it does not hold what this store writes. */
function toEntry([id, fields]: RawEntry): FeedbackEntry | null {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i] as string] = fields[i + 1] as string;
  const parsed = entryFields.safeParse(record);
  if (!parsed.success) return null;
  const { comment, ...rest } = parsed.data;
  return { id, ...rest, comment: comment ?? null };
}

function unavailable(err: unknown): never {
  if (err instanceof AppError) throw err;
  throw new ServiceUnavailableError('Feedback storage is temporarily unavailable.', { cause: err, retryAfterSeconds: 2 });
}

/**
 * Feedback in one Redis stream (default `parley:feedback`; read it with
 * `redis-cli XREVRANGE parley:feedback + - COUNT 10`), trimmed by age on every write, plus a
 * hash per session (message id -> entry id) so erasure deletes exactly that session's
 * entries. The index expires with the retention period. Single Redis or primary/replica;
 * in Redis Cluster the keys would need a shared hash tag.
 */
export function createRedisFeedbackStore(redis: Redis, options: RedisFeedbackStoreOptions): FeedbackStore {
  const streamKey = options.streamKey ?? 'parley:feedback';
  const indexKey = (sessionId: string) => `${streamKey}:session:${sessionId}`;
  const now = options.now ?? Date.now;
  /** Entries older than this (ms) are past their retention. */
  const cutoff = () => String(Math.max(0, now() - retentionMs(options)));

  // EVALSHA, loading the script on NOSCRIPT (a restarted or flushed Redis).
  const run = async (script: string, keys: string[], args: string[] = []): Promise<unknown> => {
    try {
      return await redis.evalsha(SHA1.get(script) ?? '', keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(script, keys.length, ...keys, ...args);
    }
  };

  return {
    async put(feedback) {
      const fields = ['session_id', feedback.session_id, 'message_id', feedback.message_id, 'rating', feedback.rating];
      if (feedback.comment !== null) fields.push('comment', feedback.comment);
      fields.push('created_at', feedback.created_at);
      // The comment travels only in XADD: the ioredis instrumentation records XADD's key alone,
      // but every argument of EVAL/EVALSHA, so scripts get ids and never text.
      const id = (await redis.xadd(streamKey, '*', ...fields).catch(unavailable)) as string;
      const keys = [streamKey, indexKey(feedback.session_id)];
      const replaced = await run(INDEX_SCRIPT, keys, [cutoff(), String(retentionMs(options)), feedback.message_id, id]).catch(async (err: unknown) => {
        // Unindexed, the entry could not be erased with its session: take it back (best effort).
        await redis.xdel(streamKey, id).catch(() => 0);
        return unavailable(err);
      });
      return { entry: { id, ...feedback }, replaced: Number(replaced) > 0 };
    },
    async list(query) {
      return pageNewestFirst(async (upper, lower, count) => {
        const raw = await redis.xrevrange(streamKey, upper, lower, 'COUNT', count).catch(unavailable);
        return raw.map((item) => ({ id: item[0], entry: toEntry(item) }));
      }, query);
    },
    async forSession(sessionId) {
      const raw = (await run(SESSION_SCRIPT, [streamKey, indexKey(sessionId)]).catch(unavailable)) as RawEntry[];
      return raw.flatMap((item) => toEntry(item) ?? []).sort((a, b) => compareIds(a.id, b.id));
    },
    async erase(sessionId) {
      return Number(await run(ERASE_SCRIPT, [streamKey, indexKey(sessionId)]).catch(unavailable));
    },
    async trim() {
      return redis.xtrim(streamKey, 'MINID', cutoff()).catch(unavailable);
    },
    async ping() {
      await redis.ping();
    },
  };
}
