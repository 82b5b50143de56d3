import { idTime, pageNewestFirst, withinBounds } from './paging.js';
import { retentionMs, type FeedbackEntry, type FeedbackStore, type FeedbackStoreOptions } from './types.js';

/** In-process twin of the Redis feedback store for the single-machine demo and tests (same contract). */
export function createMemoryFeedbackStore(options: FeedbackStoreOptions): FeedbackStore {
  const now = options.now ?? Date.now;
  /** Oldest first, like the stream. */
  let entries: FeedbackEntry[] = [];
  let last: [number, number] = [0, -1];

  // Stream-style ids: milliseconds, then a sequence within the millisecond.
  const nextId = (): string => {
    const ms = now();
    last = ms > last[0] ? [ms, 0] : [last[0], last[1] + 1];
    return `${last[0]}-${last[1]}`;
  };
  const trim = (): number => {
    const cutoff = now() - retentionMs(options);
    const before = entries.length;
    entries = entries.filter((e) => idTime(e.id) >= cutoff);
    return before - entries.length;
  };
  const removeWhere = (match: (e: FeedbackEntry) => boolean): number => {
    const before = entries.length;
    entries = entries.filter((e) => !match(e));
    return before - entries.length;
  };

  return {
    async put(feedback) {
      trim();
      const replaced = removeWhere((e) => e.session_id === feedback.session_id && e.message_id === feedback.message_id) > 0;
      const entry: FeedbackEntry = { id: nextId(), ...feedback };
      entries.push(entry);
      return { entry: { ...entry }, replaced };
    },
    async list(query) {
      return pageNewestFirst(async (upper, lower, count) => {
        const out: { id: string; entry: FeedbackEntry }[] = [];
        for (let i = entries.length - 1; i >= 0 && out.length < count; i--) {
          const entry = entries[i] as FeedbackEntry;
          if (withinBounds(entry.id, upper, lower)) out.push({ id: entry.id, entry: { ...entry } });
        }
        return out;
      }, query);
    },
    async forSession(sessionId) {
      return entries.filter((e) => e.session_id === sessionId).map((e) => ({ ...e }));
    },
    async erase(sessionId) {
      return removeWhere((e) => e.session_id === sessionId);
    },
    async trim() {
      return trim();
    },
    async ping() {},
  };
}
