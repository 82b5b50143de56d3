import { describe, expect, it } from 'vitest';
import {
  conversationDigest,
  countPromptTokens,
  countTokens,
  createPrng,
  generateReply,
  seedOf,
  splitTokens,
} from './text.js';

describe('splitTokens', () => {
  it('splits roughly one token per word and joins back to the exact text', () => {
    const text = '  Hello, world!\nThis is  llm-sim. ';
    const tokens = splitTokens(text);
    expect(tokens.join('')).toBe(text);
    expect(tokens).toEqual(['  Hello,', ' world!', '\nThis', ' is', '  llm-sim.', ' ']);
  });

  it('cuts very long words into 16-character tokens so a huge blob still counts as many tokens', () => {
    expect(countTokens('x'.repeat(64))).toBe(4);
  });

  it('keeps characters outside the BMP whole', () => {
    const text = '😀'.repeat(20);
    const tokens = splitTokens(text);
    expect(tokens.join('')).toBe(text);
    expect(tokens.every((t) => !/[\ud800-\udbff]$/.test(t))).toBe(true);
  });

  it('counts nothing in an empty text', () => {
    expect(countTokens('')).toBe(0);
  });
});

describe('countPromptTokens', () => {
  it('adds 3 tokens of framing per message and 3 to prime the reply', () => {
    expect(
      countPromptTokens([
        { role: 'system', text: 'Be brief.' },
        { role: 'user', text: 'hello there' },
      ]),
    ).toBe(2 + 3 + 2 + 3 + 3);
  });
});

describe('generateReply', () => {
  it('produces exactly the requested number of tokens, ending with a full stop', () => {
    for (const n of [1, 2, 7, 40, 333]) {
      const reply = generateReply(12345, n);
      expect(countTokens(reply)).toBe(n);
      expect(reply.endsWith('.')).toBe(true);
    }
  });

  it('is fully determined by the seed', () => {
    expect(generateReply(42, 40)).toBe(generateReply(42, 40));
    expect(generateReply(42, 40)).not.toBe(generateReply(43, 40));
  });

  it('reads like English sentences: capitalised, lower-case words, full stops', () => {
    const reply = generateReply(7, 60);
    expect(reply).toMatch(/^[A-Z][a-z]*( [a-z]+[.]?( [A-Z][a-z]*)?)+\.$/);
  });
});

describe('conversationDigest', () => {
  it('gives the same seed for the same model and messages, another for any change', () => {
    const messages = [{ role: 'user', text: 'hi' }];
    const a = seedOf(conversationDigest('m', messages));
    expect(seedOf(conversationDigest('m', [{ role: 'user', text: 'hi' }]))).toBe(a);
    expect(seedOf(conversationDigest('other', messages))).not.toBe(a);
    expect(seedOf(conversationDigest('m', [{ role: 'user', text: 'hi!' }]))).not.toBe(a);
    expect(seedOf(conversationDigest('m', [{ role: 'system', text: 'hi' }]))).not.toBe(a);
  });
});

describe('createPrng', () => {
  it('repeats its sequence for a seed and stays within [0, 1)', () => {
    const a = createPrng(99);
    const b = createPrng(99);
    const values = Array.from({ length: 1000 }, () => a());
    expect(values).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});
