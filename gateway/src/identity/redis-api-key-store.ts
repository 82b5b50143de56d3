import type { Redis } from 'ioredis';
import { z } from 'zod';
import { createApiKeyStore, type ApiKeyBackend, type ApiKeyStore, type ApiKeyStoreOptions, type StoredApiKey } from './api-keys.js';
import { IdentityUnavailableError } from './errors.js';
import { ROLES } from './principal.js';

/** One hash per key; sets index them for listing. Nothing here holds a raw key or secret. */
export const apiKeyRedisKeys = {
  record: (id: string) => `parley:apikey:${id}`,
  byClient: (client: string) => `parley:apikeys:by-client:${client}`,
  all: 'parley:apikeys:all',
};

const nullable = z.string().transform((v) => (v === '' ? null : v));
const storedSchema = z.object({
  id: z.string(),
  name: z.string(),
  client: z.string(),
  role: z.enum(ROLES),
  created_at: z.string(),
  expires_at: nullable,
  revoked_at: nullable,
  rotated_from: nullable,
  secret_hash: z.string().regex(/^[0-9a-f]{64}$/),
});

// Creates the key and its index entries, and patches the key it replaces, in one atomic step.
const INSERT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'id_taken' end
if KEYS[4] and redis.call('EXISTS', KEYS[4]) == 0 then return 'previous_missing' end
local n = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], unpack(ARGV, 3, 2 + n))
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
if KEYS[4] and #ARGV > 2 + n then redis.call('HSET', KEYS[4], unpack(ARGV, 3 + n, #ARGV)) end
return 'ok'
`;

// Keeps the first revocation time, so revoking twice does not rewrite history.
const REVOKE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if (redis.call('HGET', KEYS[1], 'revoked_at') or '') == '' then redis.call('HSET', KEYS[1], 'revoked_at', ARGV[1]) end
return redis.call('HGETALL', KEYS[1])
`;

/** Redis being down is a retryable 503, never a 401 that makes a client drop a good key. */
function unavailable(err: unknown): never {
  throw new IdentityUnavailableError('API keys cannot be checked right now.', { cause: err });
}

function fields(values: Record<string, string | null>): string[] {
  return Object.entries(values).flatMap(([k, v]) => [k, v ?? '']);
}

function decode(hash: Record<string, string>): StoredApiKey | undefined {
  const parsed = storedSchema.safeParse(hash);
  return parsed.success ? parsed.data : undefined;
}

function pairsToObject(flat: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

/**
 * API keys in Redis, shared by every gateway replica. Each authenticate reads
 * Redis (no local cache), so a revocation is effective everywhere at once.
 */
export function createRedisApiKeyStore(redis: Redis, options: ApiKeyStoreOptions): ApiKeyStore {
  const backend: ApiKeyBackend = {
    async insert(key, previous) {
      const values = fields({ ...key });
      const patch = previous ? fields({ ...previous.patch }) : [];
      const keys = [apiKeyRedisKeys.record(key.id), apiKeyRedisKeys.byClient(key.client), apiKeyRedisKeys.all];
      if (previous) keys.push(apiKeyRedisKeys.record(previous.id));
      const outcome = await redis.eval(INSERT, keys.length, ...keys, key.id, values.length, ...values, ...patch).catch(unavailable);
      if (outcome !== 'ok' && outcome !== 'id_taken' && outcome !== 'previous_missing') {
        throw new Error(`Unexpected reply from the API key insert script: ${String(outcome)}`);
      }
      return outcome;
    },
    async find(id) {
      return decode(await redis.hgetall(apiKeyRedisKeys.record(id)).catch(unavailable));
    },
    async revoke(id, at) {
      const reply = await redis.eval(REVOKE, 1, apiKeyRedisKeys.record(id), at).catch(unavailable);
      return reply === null ? undefined : decode(pairsToObject(reply));
    },
    async list(client) {
      const ids = await redis.smembers(client === undefined ? apiKeyRedisKeys.all : apiKeyRedisKeys.byClient(client)).catch(unavailable);
      const hashes = await Promise.all(ids.map((id) => redis.hgetall(apiKeyRedisKeys.record(id)))).catch(unavailable);
      return hashes.map(decode).filter((k): k is StoredApiKey => k !== undefined);
    },
    async ping() {
      await redis.ping().catch(unavailable);
    },
  };
  return createApiKeyStore(backend, options);
}
