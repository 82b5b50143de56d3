import type { Session, SessionStore } from '../domain/sessions.js';

/** In-process twin of the Redis session store (single-process demo and tests). */
export function createMemorySessionStore(now: () => number = Date.now): SessionStore {
  const sessions = new Map<string, { session: Session; expiresAt: number }>();
  return {
    async create(tokenHash, session, ttlSeconds) {
      sessions.set(tokenHash, { session, expiresAt: now() + ttlSeconds * 1000 });
      // Lazy purge keeps memory bounded by live sessions without a timer.
      if (sessions.size % 1024 === 0) for (const [k, v] of sessions) if (v.expiresAt <= now()) sessions.delete(k);
    },
    async touch(tokenHash, ttlSeconds) {
      const entry = sessions.get(tokenHash);
      if (!entry) return undefined;
      if (entry.expiresAt <= now()) {
        sessions.delete(tokenHash);
        return undefined;
      }
      entry.expiresAt = now() + ttlSeconds * 1000;
      return entry.session;
    },
    async revoke(tokenHash) {
      sessions.delete(tokenHash);
    },
    async ping() {},
  };
}
