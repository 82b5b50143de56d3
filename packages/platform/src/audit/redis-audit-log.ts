import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError, InternalError, ServiceUnavailableError } from '../errors.js';
import { AUDIT_GENESIS_HASH, type StreamEntry } from './chain.js';
import { createChainedAuditLog, type AuditAnchor, type ChainStore } from './audit-log.js';
import type { AuditLog, RedisAuditLogOptions } from './types.js';

/** How long a writer that lost a race keeps its claim on the next append. */
const TURN_TTL_MS = 200;

/**
 * Compare-and-append of a batch. KEYS: stream, head, anchor, turn. ARGV: expected prev hash,
 * writer id, '1' to claim the next turn if not appended ('0' on a last attempt), number of
 * entries, hash of the last entry, then per entry: its hash, its number of fields and
 * values, those fields and values. The entries arrive already chained onto the expected
 * prev hash; the script appends all of them and moves the head to the last hash only if
 * the head still is the expected one. Otherwise it returns the current head for the writer
 * to rechain (0), or tells it to yield to the writer holding the turn (2).
 *
 * Idempotent: if the head already is the batch's last hash, this very batch was appended
 * and the reply lost (ioredis resends unanswered commands after a reconnect); its ids are
 * returned instead of appending it twice.
 *
 * Fairness: with compare-and-append alone, the writer that just won tends to win again
 * (its next record is ready while the loser is still rechaining), and a busy replica can
 * starve the others. So the first writer to lose a race claims the next turn (for
 * TURN_TTL_MS); until it has appended, others yield even if their prev hash is right.
 *
 * A missing head with records (or an anchor) present means the chain state was lost or
 * tampered with: refuse rather than start a second chain from genesis.
 */
const APPEND_SCRIPT = `
local head = redis.call('GET', KEYS[2])
if not head then
  if redis.call('XLEN', KEYS[1]) > 0 or redis.call('EXISTS', KEYS[3]) == 1 then
    return redis.error_reply('AUDIT_HEAD_MISSING audit chain head is missing while records exist')
  end
  head = '${AUDIT_GENESIS_HASH}'
end
local count = tonumber(ARGV[4])
if head == ARGV[5] and head ~= ARGV[1] then
  local tail = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', count)
  local ids = {}
  local at = 6
  for n = 1, count do
    local entry = tail[count + 1 - n]
    if not entry then break end
    local fields = entry[2]
    if fields[#fields - 1] ~= 'hash' or fields[#fields] ~= ARGV[at] then break end
    ids[n] = entry[1]
    at = at + 2 + tonumber(ARGV[at + 1])
  end
  if #ids == count then
    return {1, ids}
  end
end
local turn = redis.call('GET', KEYS[4])
if head ~= ARGV[1] then
  if ARGV[3] == '1' and not turn then
    redis.call('SET', KEYS[4], ARGV[2], 'PX', ${TURN_TTL_MS})
  end
  return {0, head}
end
if turn and turn ~= ARGV[2] then
  return {2, head}
end
local ids = {}
local at = 6
for n = 1, count do
  local nfields = tonumber(ARGV[at + 1])
  ids[n] = redis.call('XADD', KEYS[1], '*', unpack(ARGV, at + 2, at + 1 + nfields))
  head = ARGV[at]
  at = at + 2 + nfields
end
redis.call('SET', KEYS[2], head)
if turn then
  redis.call('DEL', KEYS[4])
end
return {1, ids}
`;

/**
 * Trim with anchor. KEYS: stream, anchor. ARGV: min id to keep, trim time. Finds the
 * newest entry below min id, removes everything below it exactly (no '~') and stores
 * that entry's hash and id as the anchor, in one step, so verify never sees one without the other.
 */
const TRIM_SCRIPT = `
local last = redis.call('XREVRANGE', KEYS[1], '(' .. ARGV[1], '-', 'COUNT', 1)
if #last == 0 then
  return {0}
end
local id = last[1][1]
local fields = last[1][2]
local hash = ''
for i = 1, #fields, 2 do
  if fields[i] == 'hash' then hash = fields[i + 1] end
end
local removed = redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1])
redis.call('HSET', KEYS[2], 'hash', hash, 'id', id, 'trimmed_at', ARGV[2])
return {removed, hash, id, ARGV[2]}
`;

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const APPEND_SHA = sha1(APPEND_SCRIPT);
const TRIM_SHA = sha1(TRIM_SCRIPT);

/** Translates Redis failures into the taxonomy: integrity problems are internal, the rest "unavailable". */
function storeError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (message.includes('AUDIT_HEAD_MISSING')) {
    return new InternalError('The audit chain head is missing while records exist; run verify and restore the head.', { cause: err });
  }
  return new ServiceUnavailableError('The audit store is unavailable.', { cause: err });
}

function toAnchor(raw: Record<string, string> | null | undefined): AuditAnchor | null {
  if (!raw || raw['id'] === undefined) return null;
  return { hash: raw['hash'] ?? '', id: raw['id'], trimmed_at: raw['trimmed_at'] ?? '' };
}

export function createRedisChainStore(redis: Redis, streamKey: string): ChainStore {
  const headKey = `${streamKey}:head`;
  const anchorKey = `${streamKey}:anchor`;
  const turnKey = `${streamKey}:turn`;
  const writerId = randomUUID();

  // EVALSHA, loading the script on NOSCRIPT (a restarted or flushed Redis).
  const run = async (sha: string, script: string, keys: string[], args: string[]): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(script, keys.length, ...keys, ...args);
    }
  };

  const guarded =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (err) {
        throw storeError(err);
      }
    };

  return {
    compareAndAppend: guarded(async (expectedPrev, entries, willRetry) => {
      const keys = [streamKey, headKey, anchorKey, turnKey];
      const args = [expectedPrev, writerId, willRetry ? '1' : '0', String(entries.length), entries.at(-1)?.hash ?? ''];
      for (const { hash, fields } of entries) args.push(hash, String(fields.length), ...fields);
      const reply = (await run(APPEND_SHA, APPEND_SCRIPT, keys, args)) as [1, string[]] | [0 | 2, string];
      if (reply[0] === 1) return { ok: true as const, ids: reply[1] };
      return { ok: false as const, head: reply[1], yielded: reply[0] === 2 };
    }),

    range: guarded(async (start, end, count) => {
      const entries = await redis.xrange(streamKey, start, end, 'COUNT', count);
      return entries.map(([id, fields]): StreamEntry => ({ id, fields }));
    }),

    snapshot: guarded(async () => {
      // MULTI: the append script runs atomically, so head and newest id always belong together.
      const replies = await redis.multi().get(headKey).hgetall(anchorKey).xrevrange(streamKey, '+', '-', 'COUNT', 1).exec();
      if (!replies) throw new Error('audit snapshot transaction aborted');
      for (const [err] of replies) if (err) throw err;
      const head = replies[0]?.[1] as string | null;
      const anchor = toAnchor(replies[1]?.[1] as Record<string, string>);
      const newest = replies[2]?.[1] as [string, string[]][];
      return { head, anchor, lastId: newest[0]?.[0] ?? null };
    }),

    anchor: guarded(async () => toAnchor(await redis.hgetall(anchorKey))),

    trimBefore: guarded(async (minId, trimmedAt) => {
      const reply = (await run(TRIM_SHA, TRIM_SCRIPT, [streamKey, anchorKey], [minId, trimmedAt])) as [number, string?, string?, string?];
      const [removed, hash, id, at] = reply;
      return { removed, anchor: id === undefined ? null : { hash: hash ?? '', id, trimmed_at: at ?? trimmedAt } };
    }),

    ping: guarded(async () => {
      await redis.ping();
    }),
  };
}

/**
 * The production audit trail: a Redis stream (default 'parley:audit') that several gateway
 * replicas and chat-service append to as one hash chain. Read it with
 * `redis-cli XRANGE parley:audit - +`. Next to the stream live `<streamKey>:head` (hash of
 * the newest record), `:anchor` (where trim cut the chain) and, briefly, `:turn` (fairness
 * between writers). Redis must not evict these keys (use noeviction). Single Redis or a
 * primary/replica pair; in Redis Cluster the keys would need a shared hash tag.
 */
export function createRedisAuditLog(redis: Redis, options: RedisAuditLogOptions): AuditLog {
  const { streamKey = 'parley:audit', ...rest } = options;
  return createChainedAuditLog(createRedisChainStore(redis, streamKey), rest);
}
