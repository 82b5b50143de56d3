import type { ConversationStore, StoredMessage } from '../domain/ports.js';

interface Entry {
  messages: StoredMessage[];
  expiresAt: number;
}

/** In-process twin of the Redis store for the single-machine demo and tests. */
export function createMemoryConversationStore(options: { idleTtlSeconds: number; maxMessages: number; now?: () => number }): ConversationStore {
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
      return (live(sessionId)?.messages ?? []).slice(-limit);
    },
    async erase(sessionId) {
      const removed = live(sessionId)?.messages.length ?? 0;
      sessions.delete(sessionId);
      return removed;
    },
    async ping() {},
  };
}
