import { describe, expect, it } from 'vitest';
import { createModerator } from './engine.js';
import { unsafePatternReason } from './pattern-safety.js';
import { DEFAULT_POLICY, PolicyError, parsePolicy, policySchema, type Policy } from './policy.js';

function issuesOf(value: unknown): readonly string[] {
  try {
    parsePolicy(policySchema, value, 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return (err as PolicyError).issues;
  }
  throw new Error('expected the policy to be refused');
}

const withPolicy = (overrides: Partial<Policy>): Policy => parsePolicy(policySchema, { ...DEFAULT_POLICY, ...overrides }, 'test');

describe('policy schema', () => {
  it('names the path of every bad entry, with the file in the message', () => {
    const bad = {
      ...DEFAULT_POLICY,
      rules: { ...DEFAULT_POLICY.rules, 'pii.email': { input: 'mask', output: 'redact' } },
      typo: true,
    };
    expect(issuesOf(bad)).toEqual([
      'rules["pii.email"].input: Invalid option: expected one of "allow"|"flag"|"redact"|"block"|"off"',
      '(root): Unrecognized key: "typo"',
    ]);
    expect(issuesOf({ ...DEFAULT_POLICY, rules: { 'pii.mail': { input: 'redact', output: 'redact' } } })).toEqual([
      expect.stringMatching(/^rules\["pii\.mail"\]: unknown category \(built-in ones: pii\.email, /),
    ]);
    expect(() => parsePolicy(policySchema, bad, '/etc/parley/policy.json')).toThrow(/Invalid policy \/etc\/parley\/policy\.json:\n {2}- rules/);
  });

  it('accepts min_score on harm categories only', () => {
    expect(withPolicy({ rules: { ...DEFAULT_POLICY.rules, 'harm.violence': { input: 'block', output: 'block', min_score: 2 } } })).toBeDefined();
    expect(issuesOf({ ...DEFAULT_POLICY, rules: { 'pii.email': { input: 'redact', output: 'redact', min_score: 2 } } })).toEqual([
      'rules["pii.email"].min_score: min_score applies to harm.* categories only',
    ]);
  });

  it('refuses deny-list patterns that could backtrack badly, naming the pattern by its index', () => {
    const custom = (patterns: string[]) => ({ ...DEFAULT_POLICY, custom: { tickets: { patterns, input: 'redact', output: 'redact' } } });
    expect(issuesOf(custom(['INC-\\d{6}', '(a+)+$', '(\\w)\\1', 'x*']))).toEqual([
      'custom.tickets.patterns[1]: pattern refused: has a nested quantifier (a repeated group that repeats inside)',
      'custom.tickets.patterns[2]: pattern refused: uses a backreference',
      'custom.tickets.patterns[3]: pattern refused: matches the empty string',
    ]);
    expect(issuesOf(custom([]))).toEqual(['custom.tickets: needs at least one term or pattern']);
    expect(issuesOf({ ...DEFAULT_POLICY, custom: { 'Bad Name': { terms: ['x'], input: 'block', output: 'block' } } })).toEqual([
      'custom["Bad Name"]: a custom rule name is lowercase letters, digits and _, dot-separated',
    ]);
  });

  it('allow-lists exist for pii.* categories only', () => {
    expect(issuesOf({ ...DEFAULT_POLICY, allow_list: { prompt_injection: ['ignore previous instructions'] } })).toEqual([
      'allow_list.prompt_injection: allow-lists exist for pii.* categories only',
    ]);
  });
});

describe('pattern safety', () => {
  it.each([
    ['INC-\\d{6}', undefined],
    ['(?:-\\d{2,4})?[A-Z]{3}', undefined],
    ['\\p{Lu}{2}-\\d+', undefined],
    ['(?i:project) [a-z]+', undefined],
    ['(a|ab)*c', 'repeats a group with alternatives (use a character class)'],
    ['(\\d+){3}', 'has a nested quantifier (a repeated group that repeats inside)'],
    ['((ab)+)+', 'has a nested quantifier (a repeated group that repeats inside)'],
    ['(?<x>a)\\k<x>', 'uses a backreference'],
    ['a{1,5000}', 'repeats more than 1000 times'],
    ['[unclosed', expect.stringMatching(/^not a valid regular expression/)],
    ['a'.repeat(201), 'longer than 200 characters'],
  ])('%s → %s', (source, reason) => {
    expect(unsafePatternReason(source)).toEqual(reason);
  });
});

describe('policy in the engine', () => {
  it('flag reports the finding and leaves the text and the action alone', () => {
    const engine = createModerator({ policy: withPolicy({ rules: { ...DEFAULT_POLICY.rules, 'pii.email': { input: 'flag', output: 'redact' } } }) });
    const text = 'mail me at jane@example.com';
    expect(engine.moderate({ text, direction: 'input' })).toEqual({
      action: 'allow',
      text,
      findings: [{ category: 'pii.email', rule: 'pii.email.v1', start: 11, end: 27 }],
      policy_version: 'default.v1',
    });
    expect(engine.moderate({ text, direction: 'output' })).toMatchObject({ action: 'redact', text: 'mail me at [EMAIL]' });
  });

  it('finds deny-list terms as custom.<name>, whatever their case or accents, and redacts them with the placeholder', () => {
    const engine = createModerator({
      policy: withPolicy({
        custom: {
          project_x: { terms: ['Project Bluebird', 'Zürich deal'], patterns: ['INC-\\d{6}'], input: 'redact', output: 'block', placeholder: '[PROJECT]' },
        },
      }),
    });
    const text = 'About PROJECT  bluebird and the zurich Deal, see INC-123456; not bluebirds.';
    const input = engine.moderate({ text, direction: 'input' });
    expect(input.action).toBe('redact');
    expect(input.text).toBe('About [PROJECT] and the [PROJECT], see [PROJECT]; not bluebirds.');
    expect(input.findings.map((f) => [f.category, f.rule])).toEqual([
      ['custom.project_x', 'custom.project_x.term.v1'],
      ['custom.project_x', 'custom.project_x.term.v1'],
      ['custom.project_x', 'custom.project_x.pattern.v1'],
    ]);
    expect(engine.moderate({ text, direction: 'output' })).toMatchObject({ action: 'block', text });
  });

  it('a denied term inside an email still counts: custom findings are never hidden by an overlapping value', () => {
    const engine = createModerator({ policy: withPolicy({ custom: { codename: { terms: ['bluebird'], patterns: [], input: 'block', output: 'block' } } }) });
    const result = engine.moderate({ text: 'write to bluebird@example.com', direction: 'input' });
    expect(result.action).toBe('block');
    expect(result.findings.map((f) => f.category).sort()).toEqual(['custom.codename', 'pii.email']);
  });

  it('does not redact allow-listed values: an exact email, a whole email domain, a phone however spaced, an IP', () => {
    const engine = createModerator({
      policy: withPolicy({
        allow_list: {
          'pii.email': ['Support@Parley.example', '@docs.parley.example'],
          'pii.phone': ['+49 30 1234567'],
          'pii.ip_address': ['192.0.2.10'],
        },
      }),
    });
    const text =
      'Write to support@parley.example or team@docs.parley.example, call +49-30-1234567, ping 192.0.2.10; not jane@example.com or 192.0.2.11.';
    const result = engine.moderate({ text, direction: 'output' });
    expect(result.text).toBe(
      'Write to support@parley.example or team@docs.parley.example, call +49-30-1234567, ping 192.0.2.10; not [EMAIL] or [IP_ADDRESS].',
    );
    expect(result.findings.map((f) => f.category)).toEqual(['pii.email', 'pii.ip_address']);
    // A subdomain is not the listed domain.
    expect(engine.moderate({ text: 'x@evil.docs.parley.example', direction: 'output' }).action).toBe('redact');
  });
});
