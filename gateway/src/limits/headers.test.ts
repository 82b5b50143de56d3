import { describe, expect, it } from 'vitest';
import { formatResetDuration, rateLimitHeaders } from './headers.js';
import type { BudgetDecision, RateDecision } from './types.js';

const session = (remaining: number, resetSeconds: number, allowed = true): RateDecision => ({
  policy: { name: 'session', limit: 60, windowSeconds: 60 },
  allowed,
  remaining,
  resetSeconds,
  retryAfterSeconds: allowed ? 0 : 1,
});
const ip = (remaining: number, resetSeconds: number, allowed = true): RateDecision => ({
  policy: { name: 'ip', limit: 600, windowSeconds: 60 },
  allowed,
  remaining,
  resetSeconds,
  retryAfterSeconds: allowed ? 0 : 1,
});
const tokens: BudgetDecision = { policy: { name: 'tokens', limit: 100_000 }, allowed: true, remaining: 98_766, used: 1_234, resetSeconds: 360 };

describe('rateLimitHeaders', () => {
  it('lists every policy and reports the most restrictive one (lowest remaining), IETF and OpenAI style', () => {
    expect(rateLimitHeaders([session(12, 30), ip(500, 10)], tokens)).toEqual({
      'RateLimit-Policy': '"session";q=60;w=60, "ip";q=600;w=60',
      RateLimit: '"session";r=12;t=30',
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '12',
      'x-ratelimit-reset-requests': '30s',
      'x-ratelimit-limit-tokens': '100000',
      'x-ratelimit-remaining-tokens': '98766',
      'x-ratelimit-reset-tokens': '6m0s',
    });
  });

  it('picks the rejected policy even when another has as little left, and the longer reset on a tie', () => {
    expect(rateLimitHeaders([session(0, 1), ip(0, 5, false)])['RateLimit']).toBe('"ip";r=0;t=5');
    expect(rateLimitHeaders([session(3, 40), ip(3, 20)])['RateLimit']).toBe('"session";r=3;t=40');
  });

  it('sends only token headers without rate decisions, and nothing without either', () => {
    expect(rateLimitHeaders([], tokens)).toEqual({
      'x-ratelimit-limit-tokens': '100000',
      'x-ratelimit-remaining-tokens': '98766',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(rateLimitHeaders([])).toEqual({});
  });

  it('escapes quotes and backslashes in structured-field strings', () => {
    const odd: RateDecision = { ...session(1, 1), policy: { name: 'a"b\\c', limit: 1, windowSeconds: 1 } };
    expect(rateLimitHeaders([odd])['RateLimit']).toBe('"a\\"b\\\\c";r=1;t=1');
  });
});

describe('formatResetDuration (as OpenAI writes x-ratelimit-reset-*)', () => {
  it.each([
    [0, '0s'],
    [0.85, '850ms'],
    [1, '1s'],
    [1.5, '1.5s'],
    [59, '59s'],
    [60, '1m0s'],
    [360, '6m0s'],
    [3_600, '1h0m0s'],
    [3_723, '1h2m3s'],
    [86_400, '24h0m0s'],
  ])('%s s → %s', (seconds, text) => {
    expect(formatResetDuration(seconds)).toBe(text);
  });
});
