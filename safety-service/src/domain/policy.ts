import { z } from 'zod';
import { unsafePatternReason } from './pattern-safety.js';
import { CATEGORIES, type Action, type Category, type Direction } from './types.js';

/**
 * What a policy says about a category in one direction:
 * - `block`, `redact`: the decision; the strictest over all findings wins.
 * - `flag`: the finding is reported (so it is counted and audited), the text passes unchanged.
 * - `allow`: the detector runs but its findings are not reported; it still claims its characters,
 *   so an allowed card number is not redacted as a phone number instead.
 * - `off`: the detector does not run.
 */
export const RULE_ACTIONS = ['allow', 'flag', 'redact', 'block', 'off'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];

/** Strictness presets shipped in safety-service/policies/<name>.json; `standard` is DEFAULT_POLICY. */
export const POLICY_PRESETS = ['relaxed', 'standard', 'strict'] as const;
export type PolicyPreset = (typeof POLICY_PRESETS)[number];

const BUILT_IN: ReadonlySet<string> = new Set(CATEGORIES);
const CATEGORY_PREFIXES: ReadonlySet<string> = new Set([...CATEGORIES.map((c) => c.split('.')[0] as string), 'custom']);
const CUSTOM_NAME = /^[a-z0-9_]+(?:\.[a-z0-9_]+)*$/;
const ruleActionSchema = z.enum(RULE_ACTIONS);

const ruleSchema = z.strictObject({
  input: ruleActionSchema,
  output: ruleActionSchema,
  /**
   * Harm categories only. A harm hit scores its rule's weight, minus 1 per contrast context in its
   * clause (fiction, games, prevention...), plus 1 for an aggravator ("without getting caught");
   * the detectors report hits scoring at least 1. A finding that carries a score below min_score
   * is dropped. Today's harm detectors do not attach their score, so only 1 (the default) has an effect.
   */
  min_score: z.number().int().min(1).max(10).optional(),
});

const rulesSchema = z.record(z.string(), ruleSchema).superRefine((rules, ctx) => {
  for (const [key, rule] of Object.entries(rules)) {
    if (key.startsWith('custom.')) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'operator rules are defined under `custom`, with their terms or patterns' });
    } else if (!BUILT_IN.has(key)) {
      ctx.addIssue({ code: 'custom', path: [key], message: `unknown category (built-in ones: ${CATEGORIES.join(', ')})` });
    } else if (rule.min_score !== undefined && !key.startsWith('harm.')) {
      ctx.addIssue({ code: 'custom', path: [key, 'min_score'], message: 'min_score applies to harm.* categories only' });
    }
  }
});

/** Keyed by category or by its first segment ("secret" covers "secret.api_key", "custom" every custom.*). */
const placeholdersSchema = z.record(z.string(), z.string().min(1).max(64)).superRefine((placeholders, ctx) => {
  for (const key of Object.keys(placeholders)) {
    const known = BUILT_IN.has(key) || CATEGORY_PREFIXES.has(key) || (key.startsWith('custom.') && CUSTOM_NAME.test(key.slice(7)));
    if (!known) ctx.addIssue({ code: 'custom', path: [key], message: 'not a category, a category prefix (pii, secret...) or custom.<name>' });
  }
});

const customRuleSchema = z
  .strictObject({
    description: z.string().max(500).optional(),
    /** Literal words or phrases, matched whole-word on the folded view (case, accents, spacing, look-alike widths ignored). */
    terms: z.array(z.string().trim().min(1).max(100)).max(1000).default([]),
    /** Regexes on the canonical view (case as written; use `(?i:...)` to ignore it); refused when they could backtrack badly. */
    patterns: z
      .array(
        z.string().superRefine((source, ctx) => {
          const why = unsafePatternReason(source);
          if (why) ctx.addIssue({ code: 'custom', message: `pattern refused: ${why}` });
        }),
      )
      .max(50)
      .default([]),
    input: ruleActionSchema,
    output: ruleActionSchema,
    /** Default: the `placeholders` entry for custom.<name> or custom, else [REDACTED]. */
    placeholder: z.string().min(1).max(64).optional(),
  })
  .refine((rule) => rule.terms.length + rule.patterns.length > 0, { message: 'needs at least one term or pattern' });
export type CustomRule = z.output<typeof customRuleSchema>;

/** Operator deny-lists: `custom.<name>` findings. */
const customSchema = z.record(z.string(), customRuleSchema).superRefine((custom, ctx) => {
  const names = Object.keys(custom);
  if (names.length > 50) ctx.addIssue({ code: 'custom', path: [], message: 'at most 50 custom rules' });
  for (const name of names) {
    if (!CUSTOM_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'a custom rule name is lowercase letters, digits and _, dot-separated' });
  }
});

/**
 * Values never redacted nor reported, per pii.* category: matched on the finding's text (NFKC,
 * invisible characters removed); emails case-insensitively, and "@example.com" allows a whole
 * domain; phone numbers ignoring spaces, dashes, dots, slashes and parentheses.
 */
const allowListSchema = z.record(z.string(), z.array(z.string().trim().min(1).max(254)).max(1000)).superRefine((lists, ctx) => {
  for (const key of Object.keys(lists)) {
    if (!key.startsWith('pii.') || !BUILT_IN.has(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'allow-lists exist for pii.* categories only' });
  }
});

/**
 * A complete policy: what the engine runs with. Loaded from safety-service/policies/*.json or an
 * operator's file (see policyFileSchema); strict, so a typo fails loading instead of being ignored.
 */
export const policySchema = z.strictObject({
  /** Reported as `policy_version` in every decision. */
  version: z.string().trim().min(1).max(64),
  description: z.string().max(1000).optional(),
  rules: rulesSchema,
  placeholders: placeholdersSchema,
  custom: customSchema.default({}),
  allow_list: allowListSchema.default({}),
});
export type Policy = z.output<typeof policySchema>;

/**
 * An operator's file: a complete policy, or `extends` a preset and overrides it. Each entry of
 * rules, placeholders, custom and allow_list replaces the preset's entry with the same key.
 */
export const policyFileSchema = policySchema
  .extend({
    extends: z.enum(POLICY_PRESETS).optional(),
    rules: rulesSchema.optional(),
    placeholders: placeholdersSchema.optional(),
  })
  .superRefine((file, ctx) => {
    if (!file.extends && !file.rules) ctx.addIssue({ code: 'custom', path: ['rules'], message: 'required unless the file `extends` a preset' });
  });
export type PolicyFile = z.output<typeof policyFileSchema>;

/** A policy that failed validation; the message names every bad path. */
export class PolicyError extends Error {
  readonly issues: readonly string[];
  constructor(source: string, issues: readonly string[]) {
    super(`Invalid policy ${source}:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'PolicyError';
    this.issues = issues;
  }
}

/** `rules["pii.email"].input`, `custom.project_x.patterns[0]`: the path an operator edits. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(segment))) out += out ? `.${String(segment)}` : String(segment);
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out || '(root)';
}

/** Parses with `schema`, or throws a PolicyError naming `source` and each bad path. */
export function parsePolicy<S extends z.ZodType>(schema: S, value: unknown, source: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new PolicyError(
    source,
    result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
  );
}

/** The policy a file describes: its own, or its preset with the file's entries laid over it. */
export function resolvePolicyFile(file: PolicyFile, preset: Policy | undefined, source: string): Policy {
  const { extends: _extends, ...own } = file;
  if (!preset) return parsePolicy(policySchema, own, source);
  return parsePolicy(
    policySchema,
    {
      version: own.version,
      ...(own.description === undefined ? {} : { description: own.description }),
      rules: { ...preset.rules, ...own.rules },
      placeholders: { ...preset.placeholders, ...own.placeholders },
      custom: { ...preset.custom, ...own.custom },
      allow_list: { ...preset.allow_list, ...own.allow_list },
    },
    source,
  );
}

export const DEFAULT_POLICY: Policy = policySchema.parse({
  version: 'default.v1',
  rules: {
    'pii.email': { input: 'redact', output: 'redact' },
    'pii.phone': { input: 'redact', output: 'redact' },
    'pii.credit_card': { input: 'redact', output: 'redact' },
    'pii.iban': { input: 'redact', output: 'redact' },
    'pii.national_id': { input: 'redact', output: 'redact' },
    'pii.ip_address': { input: 'redact', output: 'redact' },
    'secret.api_key': { input: 'redact', output: 'redact' },
    // Redacted like any secret (the shared datasets' intended default): the rest of the reply stays useful.
    'secret.private_key': { input: 'redact', output: 'redact' },
    // Injection is an attack on the model's instructions: only user input carries it.
    prompt_injection: { input: 'block', output: 'off' },
    // A reply that carries the system prompt's canary or a long verbatim run of it leaks the prompt;
    // a user quoting a prompt is not a leak.
    system_prompt_leak: { input: 'off', output: 'block' },
    // Harm: the detectors flag requests for, or content of, clear harm (not mentions, history,
    // prevention or fiction), so both directions block: a user asking and a model answering alike.
    // Self-harm blocks too, so the caller can answer with help instead of a method.
    'harm.illicit': { input: 'block', output: 'block' },
    'harm.violence': { input: 'block', output: 'block' },
    'harm.self_harm': { input: 'block', output: 'block' },
    'harm.sexual_minors': { input: 'block', output: 'block' },
    'harm.sexual': { input: 'block', output: 'block' },
    'harm.hate': { input: 'block', output: 'block' },
  },
  placeholders: {
    'pii.email': '[EMAIL]',
    'pii.phone': '[PHONE]',
    'pii.credit_card': '[CREDIT_CARD]',
    'pii.iban': '[IBAN]',
    'pii.national_id': '[NATIONAL_ID]',
    'pii.ip_address': '[IP_ADDRESS]',
    secret: '[SECRET]',
  },
} satisfies z.input<typeof policySchema>);

const SEVERITY: Readonly<Record<Action, number>> = { allow: 0, redact: 1, block: 2 };

/** The stricter of two actions. */
export function stricter(a: Action, b: Action): Action {
  return SEVERITY[b] > SEVERITY[a] ? b : a;
}

/** The decision a rule action contributes: `flag` and `allow` leave the text alone. */
export function actionOf(rule: RuleAction): Action {
  return rule === 'block' || rule === 'redact' ? rule : 'allow';
}

function customRule(policy: Policy, category: Category): CustomRule | undefined {
  return category.startsWith('custom.') ? policy.custom[category.slice(7)] : undefined;
}

export function ruleFor(policy: Policy, category: Category, direction: Direction): RuleAction {
  if (category.startsWith('custom.')) return customRule(policy, category)?.[direction] ?? 'off';
  return policy.rules[category]?.[direction] ?? 'off';
}

export function placeholderFor(policy: Policy, category: Category): string {
  return (
    customRule(policy, category)?.placeholder ??
    policy.placeholders[category] ??
    policy.placeholders[category.split('.')[0] as string] ??
    '[REDACTED]'
  );
}

/** The lowest score a scored finding of `category` needs to count (1 unless the policy raises it). */
export function minScoreFor(policy: Policy, category: Category): number {
  return policy.rules[category]?.min_score ?? 1;
}

const PHONE_SEPARATORS = /[\s\-./()]/gu;

/** How a value is compared with allow-list entries of its category. */
function allowKey(category: string, value: string): string {
  const canonical = value.normalize('NFKC').replace(/\p{Default_Ignorable_Code_Point}/gu, '');
  if (category === 'pii.email') return canonical.toLowerCase();
  if (category === 'pii.phone') return canonical.replace(PHONE_SEPARATORS, '');
  return canonical;
}

/** `(category, value) => true` when the policy exempts the value (see allowListSchema). */
export function createAllowList(policy: Policy): (category: Category, value: string) => boolean {
  const lists = new Map<string, Set<string>>();
  for (const [category, values] of Object.entries(policy.allow_list)) {
    lists.set(category, new Set(values.map((v) => allowKey(category, v))));
  }
  if (lists.size === 0) return () => false;
  return (category, value) => {
    const list = lists.get(category);
    if (!list) return false;
    const key = allowKey(category, value);
    if (list.has(key)) return true;
    const at = key.lastIndexOf('@');
    return category === 'pii.email' && at > 0 && list.has(key.slice(at));
  };
}
