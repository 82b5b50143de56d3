import { stricter } from './policy.js';
import type { Category, Direction, Finding, ModerationResult } from './types.js';

/** One category a model classifier scored, on our names; score in [0, 1]. */
export interface ClassifierScore {
  category: Category;
  score: number;
}

/**
 * A model-based classifier: an optional second opinion after the deterministic engine.
 * Rejects when it cannot answer (timeout, outage, `signal` aborted); callers decide what that means.
 */
export interface ModerationClassifier {
  classify(text: string, signal: AbortSignal): Promise<ClassifierScore[]>;
}

/** The rule id of findings from the OpenAI-compatible moderation classifier. */
export const OPENAI_CLASSIFIER_RULE = 'classifier.openai.v1';

/**
 * OpenAI moderation categories onto ours (prefix match: `violence/graphic` is violence).
 * sexual/minors is listed before sexual, so it wins.
 */
const OPENAI_CATEGORY_MAP: readonly (readonly [prefix: string, category: Category])[] = [
  ['harassment', 'harm.hate'],
  ['hate', 'harm.hate'],
  ['violence', 'harm.violence'],
  ['self-harm', 'harm.self_harm'],
  ['sexual/minors', 'harm.sexual_minors'],
  ['sexual', 'harm.sexual'],
  ['illicit', 'harm.illicit'],
];

/** Our category for an OpenAI moderation category; undefined for categories we do not map. */
export function categoryForOpenAi(name: string): Category | undefined {
  for (const [prefix, category] of OPENAI_CATEGORY_MAP) {
    if (name === prefix || name.startsWith(`${prefix}/`)) return category;
  }
  return undefined;
}

/** OpenAI's `category_scores` as our categories, each with the highest score of the names mapped onto it. */
export function scoresFromOpenAi(categoryScores: Readonly<Record<string, number>>): ClassifierScore[] {
  const best = new Map<Category, number>();
  for (const [name, score] of Object.entries(categoryScores)) {
    const category = categoryForOpenAi(name);
    if (category === undefined || typeof score !== 'number' || !Number.isFinite(score)) continue;
    best.set(category, Math.max(best.get(category) ?? 0, score));
  }
  return [...best].map(([category, score]) => ({ category, score }));
}

export interface ClassifierMergeOptions {
  threshold: number;
  direction: Direction;
  /** The policy in force's rule for a category (ruleFor): block, redact, flag, allow or off. */
  ruleFor: (category: Category, direction: Direction) => string;
  rule?: string;
}

/**
 * The engine's result with the classifier's opinion added. A category scoring at least the
 * threshold becomes a finding over the whole text, acted on as the policy says for its category
 * and direction; `redact` counts as `block`, since redacting a whole-text finding would remove
 * everything anyway. `flag` reports without acting; `allow` and `off` drop the finding. Categories
 * the engine already found are not repeated.
 */
export function withClassifierScores(
  result: ModerationResult,
  submitted: string,
  scores: readonly ClassifierScore[],
  options: ClassifierMergeOptions,
): ModerationResult {
  const found = new Set(result.findings.map((f) => f.category));
  const added: Finding[] = [];
  let action = result.action;
  for (const { category, score } of scores) {
    if (score < options.threshold || found.has(category)) continue;
    const rule = options.ruleFor(category, options.direction);
    if (rule !== 'block' && rule !== 'redact' && rule !== 'flag') continue;
    found.add(category);
    added.push({ category, rule: options.rule ?? OPENAI_CLASSIFIER_RULE, start: 0, end: submitted.length });
    if (rule !== 'flag') action = stricter(action, 'block');
  }
  if (added.length === 0) return result;
  return {
    ...result,
    action,
    // A block returns the submitted text (the engine's convention), not a partial redaction.
    text: action === 'block' ? submitted : result.text,
    findings: [...added, ...result.findings],
  };
}

export type ClassifierFailureKind = 'timeout' | 'connection' | 'http' | 'invalid_response';

/** A classifier call that failed; adapters translate their client's errors into this. */
export class ClassifierCallError extends Error {
  readonly kind: ClassifierFailureKind;
  readonly status: number | undefined;
  constructor(message: string, options: { kind: ClassifierFailureKind; status?: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'ClassifierCallError';
    this.kind = options.kind;
    this.status = options.status;
  }
}
