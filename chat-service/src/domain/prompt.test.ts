import { describe, expect, it } from 'vitest';
import type { ChatMessage } from './ports.js';
import { estimateTokens, fitToContext } from './prompt.js';

const m = (role: ChatMessage['role'], chars: number, tag: string): ChatMessage => ({ role, content: `${tag}${'x'.repeat(chars - tag.length)}` });
const total = (messages: ChatMessage[]) => messages.reduce((n, x) => n + estimateTokens(x), 0);

describe('fitToContext', () => {
  const conversation = [m('system', 300, 'sys'), ...Array.from({ length: 20 }, (_, i) => m(i % 2 ? 'assistant' : 'user', 300, `h${i}`)), m('user', 300, 'new')];

  it('keeps everything that fits', () => {
    expect(fitToContext(conversation, 100_000)).toEqual(conversation);
  });

  it('drops the oldest history first until the prompt fits the budget, keeping the system prompt and the new message', () => {
    const fitted = fitToContext(conversation, 1_000);
    expect(total(fitted)).toBeLessThanOrEqual(1_000);
    expect(fitted[0]?.content.startsWith('sys')).toBe(true);
    expect(fitted.at(-1)?.content.startsWith('new')).toBe(true);
    // The newest turns survive, in order.
    const kept = fitted.slice(1, -1).map((x) => x.content.slice(0, 3).replace(/x+$/, ''));
    expect(kept).toEqual(['h14', 'h15', 'h16', 'h17', 'h18', 'h19']);
  });

  it('never starts the kept history with a reply whose question was dropped', () => {
    for (let budget = 300; budget < 4_000; budget += 37) {
      const fitted = fitToContext(conversation, budget);
      expect(fitted[1]?.role === 'assistant', `budget ${budget}`).toBe(false);
    }
  });

  it('keeps the system prompt and the new message even when they alone exceed the budget', () => {
    expect(fitToContext(conversation, 10).map((x) => x.content.slice(0, 3))).toEqual(['sys', 'new']);
  });
});
