/** Categories named in ARCHITECTURE.md ("Safety contract"); stable, dot-separated, lowercase. */
export const CATEGORIES = [
  'pii.email',
  'pii.phone',
  'pii.credit_card',
  'pii.iban',
  'pii.national_id',
  // Contract addition (issue 5): IPv4/IPv6 addresses, not in the original ARCHITECTURE.md list.
  'pii.ip_address',
  'secret.api_key',
  'secret.private_key',
  'prompt_injection',
  'system_prompt_leak',
  'harm.hate',
  'harm.violence',
  'harm.self_harm',
  'harm.sexual',
  'harm.sexual_minors',
  'harm.illicit',
] as const;

export type BuiltInCategory = (typeof CATEGORIES)[number];
/** Operator rules live under `custom.<name>`. */
export type Category = BuiltInCategory | `custom.${string}`;

export const DIRECTIONS = ['input', 'output'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export const LANGUAGES = ['en', 'de', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];

export const ACTIONS = ['allow', 'redact', 'block'] as const;
export type Action = (typeof ACTIONS)[number];

export interface ModerationRequest {
  text: string;
  direction: Direction;
  language?: Language | undefined;
}

/** One hit; `start`/`end` are UTF-16 offsets into the submitted text, `end` exclusive. */
export interface Finding {
  category: Category;
  rule: string;
  start: number;
  end: number;
}

export interface ModerationResult {
  action: Action;
  /** The redacted text when `action` is `redact`, the submitted text otherwise. */
  text: string;
  findings: Finding[];
  policy_version: string;
}
