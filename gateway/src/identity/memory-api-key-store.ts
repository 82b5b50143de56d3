import { createApiKeyStore, type ApiKeyBackend, type ApiKeyStore, type ApiKeyStoreOptions, type StoredApiKey } from './api-keys.js';

/** In-process twin of the Redis API key store (single-process setup and tests): same rules, a Map for storage. */
export function createMemoryApiKeyStore(options: ApiKeyStoreOptions): ApiKeyStore {
  const keys = new Map<string, StoredApiKey>();
  // Copies in and out, like a real store: callers cannot mutate what is stored.
  const copy = (k: StoredApiKey | undefined): StoredApiKey | undefined => k && { ...k };
  const backend: ApiKeyBackend = {
    async insert(key, previous) {
      if (keys.has(key.id)) return 'id_taken';
      const old = previous && keys.get(previous.id);
      if (previous && !old) return 'previous_missing';
      keys.set(key.id, { ...key });
      if (old && previous) keys.set(old.id, { ...old, ...previous.patch });
      return 'ok';
    },
    async find(id) {
      return copy(keys.get(id));
    },
    async revoke(id, at) {
      const key = keys.get(id);
      if (!key) return undefined;
      if (key.revoked_at === null) key.revoked_at = at;
      return copy(key);
    },
    async list(client) {
      return [...keys.values()].filter((k) => client === undefined || k.client === client).map((k) => ({ ...k }));
    },
    async ping() {},
  };
  return createApiKeyStore(backend, options);
}
