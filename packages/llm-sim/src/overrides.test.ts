import { ValidationError } from '@parley/platform';
import { describe, expect, it } from 'vitest';
import { mergeOverrides, parseDirectives, parseHeaderOverrides, stripDirectives } from './overrides.js';

describe('parseDirectives', () => {
  it('reads every directive of the last user message', () => {
    expect(
      parseDirectives(
        'hello [[sim:fault=429;retry_after_ms=1500]] [[sim:ttft_ms=200]][[sim:tokens_per_second=12.5]] [[sim:reply_tokens=5]] [[sim:latency_ms=0]]',
      ),
    ).toEqual({
      fault: { kind: 'status', status: 429, retryAfterMs: 1500 },
      faultSpec: '429;retry_after_ms=1500',
      ttftMs: 200,
      tokensPerSecond: 12.5,
      replyTokens: 5,
      latencyMs: 0,
    });
  });

  it('reads echo and a fixed reply', () => {
    expect(parseDirectives('[[sim:echo]] my text')).toEqual({ echo: true });
    expect(parseDirectives('[[sim:reply=Exactly this, please.]]')).toEqual({ reply: 'Exactly this, please.' });
  });

  it('reads the moderation categories, across several directives, and refuses unknown ones', () => {
    expect(parseDirectives('x [[sim:moderation=violence, self-harm]] [[sim:moderation=sexual/minors]]').moderation).toEqual([
      'violence',
      'self-harm',
      'sexual/minors',
    ]);
    expect(() => parseDirectives('[[sim:moderation=violent]]')).toThrow(ValidationError);
  });

  it('finds nothing in ordinary text', () => {
    expect(parseDirectives('a [[normal]] message with [brackets]')).toEqual({});
  });

  it.each([
    ['[[sim:explode]]', /Unknown llm-sim directive/],
    ['[[sim:fault=bogus]]', /Invalid directive \[\[sim:fault\]\]: unknown fault item/],
    ['[[sim:ttft_ms=-5]]', /whole number/],
    ['[[sim:ttft_ms=9999999]]', /from 0 to 600000/],
    ['[[sim:echo=yes]]', /takes no value/],
  ])('rejects %j as a 400', (text, reason) => {
    expect(() => parseDirectives(text)).toThrow(ValidationError);
    expect(() => parseDirectives(text)).toThrow(reason);
  });
});

describe('stripDirectives', () => {
  it('removes directives and keeps the rest', () => {
    expect(stripDirectives('say [[sim:echo]]this[[sim:ttft_ms=1]]')).toBe('say this');
  });
});

describe('parseHeaderOverrides', () => {
  it('reads the x-llm-sim-* headers', () => {
    expect(
      parseHeaderOverrides({
        'x-llm-sim-fault': 'stall_after=3',
        'x-llm-sim-ttft-ms': '200',
        'x-llm-sim-latency-ms': '10',
        'x-llm-sim-tokens-per-second': '0',
        'x-llm-sim-reply-tokens': '12',
      }),
    ).toEqual({
      fault: { kind: 'stall', after: 3 },
      faultSpec: 'stall_after=3',
      ttftMs: 200,
      latencyMs: 10,
      tokensPerSecond: 0,
      replyTokens: 12,
    });
  });

  it('names the header that is wrong', () => {
    expect(() => parseHeaderOverrides({ 'x-llm-sim-fault': 'status=99' })).toThrow(/x-llm-sim-fault header/);
    expect(() => parseHeaderOverrides({ 'x-llm-sim-ttft-ms': 'soon' })).toThrow(/x-llm-sim-ttft-ms header/);
  });
});

describe('mergeOverrides', () => {
  it('lets headers win over directives', () => {
    const merged = mergeOverrides(
      parseDirectives('[[sim:fault=500]] [[sim:ttft_ms=5]] [[sim:echo]]'),
      parseHeaderOverrides({ 'x-llm-sim-fault': 'none' }),
    );
    expect(merged).toMatchObject({ fault: { kind: 'none' }, faultSpec: 'none', ttftMs: 5, echo: true });
  });
});
