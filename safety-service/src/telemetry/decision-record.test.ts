import { describe, expect, it } from 'vitest';
import type { ModerationResult } from '../domain/types.js';
import { MATCH_HASH_LENGTH, createMatchHasher, findingAction, findingRecords } from './decision-record.js';

const SALT = 'decision-record-test-salt-0123456789abcdef';

describe('match hashes', () => {
  it('are short hex, equal for equal matches, and differ under another salt', () => {
    const hash = createMatchHasher(SALT);
    expect(hash('jane@example.com')).toMatch(new RegExp(`^[0-9a-f]{${MATCH_HASH_LENGTH}}$`));
    expect(hash('jane@example.com')).toBe(createMatchHasher(SALT)('jane@example.com'));
    expect(hash('jane@example.com')).not.toBe(hash('jane@example.org'));
    expect(createMatchHasher(`${SALT}-rotated`)('jane@example.com')).not.toBe(hash('jane@example.com'));
    expect(createMatchHasher(Buffer.from(SALT))('jane@example.com')).toBe(hash('jane@example.com'));
  });

  it('refuse an empty salt, which would make them guessable', () => {
    expect(() => createMatchHasher('')).toThrow(TypeError);
  });
});

describe('finding records', () => {
  it("take each finding's action from the policy, and flag findings of an allowed decision", () => {
    expect(findingAction('block', 'redact')).toBe('redact');
    expect(findingAction('block', 'block')).toBe('block');
    expect(findingAction('redact', 'flag')).toBe('flag');
    expect(findingAction('allow', 'block')).toBe('flag');
    expect(findingAction('allow', 'allow')).toBe('flag');
  });

  it('hash the [start, end) slice of the submitted text, not the redacted one', () => {
    const text = 'Mail jane@example.com now';
    const result: ModerationResult = {
      action: 'redact',
      text: 'Mail [EMAIL] now',
      findings: [{ category: 'pii.email', rule: 'pii.email.v1', start: 5, end: 21 }],
      policy_version: 'test.v1',
    };
    const hash = createMatchHasher(SALT);
    expect(findingRecords(text, 'output', result, () => 'redact', hash)).toEqual([
      { category: 'pii.email', rule: 'pii.email.v1', action: 'redact', start: 5, end: 21, match_hash: hash('jane@example.com') },
    ]);
  });
});
