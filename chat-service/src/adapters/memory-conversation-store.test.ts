import { describe, expect, it } from 'vitest';
import { createMemoryConversationStore } from './memory-conversation-store.js';

const msg = (id: string) => ({ id, role: 'user' as const, content: `text ${id}`, created_at: '2026-01-01T00:00:00.000Z' });

describe('in-memory conversation store', () => {
  it('purges conversations nobody comes back to once they expire, and keeps live ones', async () => {
    let now = 0;
    const store = createMemoryConversationStore({ idleTtlSeconds: 60, maxMessages: 10, now: () => now });
    await store.append('old', msg('a'));
    now = 30_000;
    await store.append('recent', msg('b'));
    now = 61_000;
    expect(store.sweep()).toBe(1);
    expect(await store.history('old', 10)).toEqual([]);
    expect(await store.history('recent', 10)).toHaveLength(1);
  });

  it('slides the expiry on reads as on writes', async () => {
    let now = 0;
    const store = createMemoryConversationStore({ idleTtlSeconds: 60, maxMessages: 10, now: () => now });
    await store.append('s', msg('a'));
    now = 50_000;
    await store.history('s', 10);
    now = 100_000;
    expect(store.sweep()).toBe(0);
    expect(await store.history('s', 10)).toHaveLength(1);
  });
});
