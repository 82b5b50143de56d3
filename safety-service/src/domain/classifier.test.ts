import { describe, expect, it } from 'vitest';
import { categoryForOpenAi, scoresFromOpenAi, withClassifierScores } from './classifier.js';
import { DEFAULT_POLICY, ruleFor } from './policy.js';
import type { ModerationResult } from './types.js';

const allow = (text: string): ModerationResult => ({ action: 'allow', text, findings: [], policy_version: 'v' });
const policyRule = (category: Parameters<typeof ruleFor>[1], direction: Parameters<typeof ruleFor>[2]) => ruleFor(DEFAULT_POLICY, category, direction);

describe('OpenAI moderation categories onto ours', () => {
  it.each([
    ['harassment', 'harm.hate'],
    ['harassment/threatening', 'harm.hate'],
    ['hate/threatening', 'harm.hate'],
    ['violence/graphic', 'harm.violence'],
    ['self-harm/instructions', 'harm.self_harm'],
    ['sexual/minors', 'harm.sexual_minors'],
    ['sexual', 'harm.sexual'],
    ['illicit/violent', 'harm.illicit'],
  ])('maps %s to %s', (name, category) => {
    expect(categoryForOpenAi(name)).toBe(category);
  });

  it('ignores names it does not know and keeps the highest score per category', () => {
    expect(categoryForOpenAi('violent')).toBeUndefined();
    const scores = scoresFromOpenAi({ hate: 0.2, harassment: 0.7, 'sexual/minors': 0.6, sexual: 0.1, spam: 0.99 });
    expect(scores).toEqual(
      expect.arrayContaining([
        { category: 'harm.hate', score: 0.7 },
        { category: 'harm.sexual_minors', score: 0.6 },
        { category: 'harm.sexual', score: 0.1 },
      ]),
    );
    expect(scores).toHaveLength(3);
  });
});

describe('withClassifierScores', () => {
  it('turns a category at or above the threshold into a whole-text finding acted on as the policy says', () => {
    const text = 'some text';
    const result = withClassifierScores(allow(text), text, [{ category: 'harm.violence', score: 0.5 }, { category: 'harm.hate', score: 0.49 }], {
      threshold: 0.5,
      direction: 'input',
      ruleFor: policyRule,
    });
    expect(result).toMatchObject({ action: 'block', text, findings: [{ category: 'harm.violence', rule: 'classifier.openai.v1', start: 0, end: 9 }] });
  });

  it('treats redact as block, reports flag without acting, drops allow and off', () => {
    const text = 'abc';
    const rules: Record<string, string> = { 'harm.violence': 'redact', 'harm.hate': 'flag', 'harm.sexual': 'allow', 'harm.illicit': 'off' };
    const merge = (category: 'harm.violence' | 'harm.hate' | 'harm.sexual' | 'harm.illicit') =>
      withClassifierScores(allow(text), text, [{ category, score: 0.9 }], { threshold: 0.5, direction: 'output', ruleFor: (c) => rules[c] ?? 'off' });
    expect(merge('harm.violence').action).toBe('block');
    expect(merge('harm.hate')).toMatchObject({ action: 'allow', findings: [{ category: 'harm.hate' }] });
    expect(merge('harm.sexual')).toEqual(allow(text));
    expect(merge('harm.illicit')).toEqual(allow(text));
  });

  it('returns the submitted text, not a partial redaction, when it turns a redact into a block', () => {
    const submitted = 'mail a@b.io';
    const redacted: ModerationResult = { action: 'redact', text: 'mail [EMAIL]', findings: [{ category: 'pii.email', rule: 'r', start: 5, end: 11 }], policy_version: 'v' };
    const result = withClassifierScores(redacted, submitted, [{ category: 'harm.hate', score: 0.8 }], { threshold: 0.5, direction: 'input', ruleFor: policyRule });
    expect(result.action).toBe('block');
    expect(result.text).toBe(submitted);
    expect(result.findings.map((f) => f.category)).toEqual(['harm.hate', 'pii.email']);
  });
});
