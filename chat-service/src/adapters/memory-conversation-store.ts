import type { ConversationStore, StoredMessage } from '../domain/ports.js';

interface Entry {
  messages: StoredMessage[];
  expiresAt: number;
}

export interface MemoryConversationStore extends ConversationStore {
  /** Deletes every conversation past its expiry; returns how many. Run periodically (main.ts does). */
  sweep(): number;
}

/**
 * In-process twin of the Redis store for the single-machine demo and tests: the same sliding
 * expiry (`idleTtlSeconds`, each read or write extends it), purged lazily on access and by
 * `sweep()` for conversations nobody comes back to.
 */
export function createMemoryConversationStore(options: { idleTtlSeconds: number; maxMessages: number; now?: () => number }): MemoryConversationStore {
  const now = options.now ?? Date.now;
  const sessions = new Map<string, Entry>();
  const live = (sessionId: string): Entry | undefined => {
    const entry = sessions.get(sessionId);
    if (entry && entry.expiresAt <= now()) {
      sessions.delete(sessionId);
      return undefined;
    }
    return entry;
  };
  return {
    async append(sessionId, message) {
      const entry = live(sessionId) ?? { messages: [], expiresAt: 0 };
      entry.messages.push(message);
      if (entry.messages.length > options.maxMessages) entry.messages.splice(0, entry.messages.length - options.maxMessages);
      entry.expiresAt = now() + options.idleTtlSeconds * 1000;
      sessions.set(sessionId, entry);
    },
    async history(sessionId, limit) {
      const entry = live(sessionId);
      if (!entry) return [];
      entry.expiresAt = now() + options.idleTtlSeconds * 1000;
      return entry.messages.slice(-limit);
    },
    async erase(sessionId) {
      const removed = live(sessionId)?.messages.length ?? 0;
      sessions.delete(sessionId);
      return removed;
    },
    async ping() {},
    sweep() {
      let purged = 0;
      for (const [sessionId, entry] of sessions) {
        if (entry.expiresAt <= now()) {
          sessions.delete(sessionId);
          purged++;
        }
      }
      return purged;
    },
  };
}
