import { z } from 'zod';
import { ACTIONS, CATEGORIES, type Action, type Category, type Direction } from './types.js';

/** What a policy says about a category in one direction; `off` means the detector does not run. */
export const RULE_ACTIONS = [...ACTIONS, 'off'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];

const CUSTOM_CATEGORY = /^custom\.[a-z0-9_]+(?:\.[a-z0-9_]+)*$/;
const categorySchema = z
  .string()
  .refine((key) => (CATEGORIES as readonly string[]).includes(key) || CUSTOM_CATEGORY.test(key), {
    message: 'unknown category (use a built-in one or custom.<name>)',
  });
const ruleActionSchema = z.enum(RULE_ACTIONS);

/**
 * A policy is data: category → action per direction, plus the placeholder redaction writes.
 * It is a zod schema so a later version can load it from a file and fail fast on a typo.
 */
export const policySchema = z.object({
  version: z.string().min(1).max(64),
  rules: z.record(categorySchema, z.object({ input: ruleActionSchema, output: ruleActionSchema })),
  /** Keyed by category or by its first segment ("secret" covers "secret.api_key"). */
  placeholders: z.record(z.string().min(1), z.string().min(1).max(64)),
});
export type Policy = z.output<typeof policySchema>;

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

export function ruleFor(policy: Policy, category: Category, direction: Direction): RuleAction {
  return policy.rules[category]?.[direction] ?? 'off';
}

export function placeholderFor(policy: Policy, category: Category): string {
  return policy.placeholders[category] ?? policy.placeholders[category.split('.')[0] as string] ?? '[REDACTED]';
}
