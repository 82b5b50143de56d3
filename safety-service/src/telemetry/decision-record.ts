import { createHmac } from 'node:crypto';
import type { Category, Direction, ModerationResult } from '../domain/types.js';

/** Hex characters kept of a match hash (64 bits): enough to correlate, too few to be worth brute-forcing offline. */
export const MATCH_HASH_LENGTH = 16;

/** Keyed hash of a matched string: equal matches correlate across records, the text itself is never stored. */
export type MatchHasher = (match: string) => string;

/** HMAC-SHA256 under `salt`, hex, first MATCH_HASH_LENGTH characters. Without the salt a hash cannot be tested against guesses. */
export function createMatchHasher(salt: string | Uint8Array): MatchHasher {
  if (salt.length === 0) throw new TypeError('createMatchHasher: the salt must not be empty');
  const key = typeof salt === 'string' ? Buffer.from(salt, 'utf8') : Buffer.from(salt);
  return (match) => createHmac('sha256', key).update(match, 'utf8').digest('hex').slice(0, MATCH_HASH_LENGTH);
}

/** What the policy does with one finding; `flag` is recorded without changing the text. */
export const FINDING_ACTIONS = ['redact', 'block', 'flag'] as const;
export type FindingAction = (typeof FINDING_ACTIONS)[number];

/** The policy's action for a category in a direction ('redact', 'block', 'allow', 'off', or later 'flag'). */
export type PolicyActionLookup = (category: Category, direction: Direction) => string;

/**
 * A finding's action: what the policy does for its category, except that a finding in an allowed
 * decision (a category the policy only watches) is `flag`, whatever the lookup says.
 */
export function findingAction(decision: string, policyAction: string): FindingAction {
  if (decision === 'allow') return 'flag';
  return policyAction === 'redact' || policyAction === 'block' ? policyAction : 'flag';
}

export interface FindingRecord {
  category: Category;
  rule: string;
  action: FindingAction;
  start: number;
  end: number;
  match_hash: string;
}

/** The findings of a decision as the audit record holds them: offsets and a hash of the submitted slice, never the slice. */
export function findingRecords(
  text: string,
  direction: Direction,
  result: ModerationResult,
  policyAction: PolicyActionLookup,
  hash: MatchHasher,
): FindingRecord[] {
  return result.findings.map((f) => ({
    category: f.category,
    rule: f.rule,
    action: findingAction(result.action, policyAction(f.category, direction)),
    start: f.start,
    end: f.end,
    match_hash: hash(text.slice(f.start, f.end)),
  }));
}
