import type { Detector, DetectorMatch } from './detector.js';

interface KeyRule {
  id: string;
  /** Global regex; group `body` (if present) is the random part that must look random. */
  pattern: RegExp;
  /** Character classes every real key of this format has in its random part. */
  needs?: readonly Need[];
}

export type Need = 'digit' | 'letter' | 'mixed_case';
const NEEDS: Readonly<Record<Need, (body: string) => boolean>> = {
  digit: (body) => /\d/.test(body),
  letter: (body) => /[A-Za-z]/.test(body),
  mixed_case: (body) => /[a-z]/.test(body) && /[A-Z]/.test(body),
};

// Keys never start or end inside a longer token.
const B = String.raw`(?<![A-Za-z0-9_-])`;
const E = String.raw`(?![A-Za-z0-9_-])`;
const re = (source: string): RegExp => new RegExp(source, 'g');

/** Provider key formats; ids are stable and appear in findings. */
export const API_KEY_RULES: readonly KeyRule[] = [
  // Anthropic: sk-ant-api03-/sk-ant-admin01- then 93 characters and the fixed "AA" suffix.
  { id: 'secret.api_key.anthropic.v1', pattern: re(String.raw`${B}sk-ant-(?:api|admin)\d\d-(?<body>[A-Za-z0-9_-]{93})AA${E}`) },
  // OpenAI: sk-, sk-proj-, sk-svcacct-, sk-admin- (and other sk- keys of OpenAI-compatible providers).
  { id: 'secret.api_key.openai.v1', pattern: re(String.raw`${B}sk-(?!ant-)(?:(?:proj|svcacct|admin)-)?(?<body>[A-Za-z0-9_-]{32,200})${E}`), needs: ['digit'] },
  { id: 'secret.api_key.aws.v1', pattern: re(String.raw`(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)(?<body>[A-Z2-7]{16})(?![A-Za-z0-9])`) },
  { id: 'secret.api_key.github.v1', pattern: re(String.raw`${B}(?:gh[pousr]_(?<body>[A-Za-z0-9]{36})|github_pat_(?<fine>[A-Za-z0-9_]{82}))${E}`), needs: ['digit'] },
  // Slack: bot, user, app, workspace, legacy and configuration tokens share the xox?- shape.
  { id: 'secret.api_key.slack.v1', pattern: re(String.raw`${B}(?:(?:xoxe\.)?xox[abeoprs]-\d{1,14}-|xapp-\d-)(?<body>[A-Za-z0-9-]{8,250})${E}`), needs: ['digit', 'letter'] },
  { id: 'secret.api_key.slack_webhook.v1', pattern: re(String.raw`https?://hooks\.slack\.com/(?:services|workflows)/(?<body>[A-Za-z0-9+/_-]{20,120})`) },
  { id: 'secret.api_key.stripe.v1', pattern: re(String.raw`${B}(?:sk|rk)_(?:live|test|prod)_(?<body>[A-Za-z0-9]{10,247})${E}`), needs: ['digit'] },
  { id: 'secret.api_key.google.v1', pattern: re(String.raw`${B}AIza(?<body>[A-Za-z0-9_-]{35})${E}`) },
  { id: 'secret.api_key.huggingface.v1', pattern: re(String.raw`${B}(?:hf_|api_org_)(?<body>[A-Za-z]{34})${E}`), needs: ['mixed_case'] },
  // JWTs are bearer credentials: header and payload are base64url JSON ("eyJ"), signature may be empty.
  { id: 'secret.api_key.jwt.v1', pattern: re(String.raw`${B}eyJ(?<body>[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*)`) },
];

/** Placeholder values documentation is full of ("xxxx", "EXAMPLE", "your-key-here") are not secrets. */
const PLACEHOLDER = /(.)\1{4}|x{4}|example|your|here|placeholder|dummy|insert|replace|redacted/i;

function shannonBitsPerChar(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Real keys are random: no placeholder words or runs, the expected character classes, enough entropy. */
export function looksRandom(body: string, needs: readonly Need[] = []): boolean {
  if (PLACEHOLDER.test(body)) return false;
  if (!needs.every((need) => NEEDS[need](body))) return false;
  return shannonBitsPerChar(body) >= 3;
}

// Cheap pre-check: skip the rule set for text with none of the prefixes.
const ANY_PREFIX = /sk-|AKIA|ASIA|ABIA|ACCA|gh[pousr]_|github_pat_|xox|xapp-|hooks\.slack|[sr]k_(?:live|test|prod)_|AIza|hf_|api_org_|eyJ/;

export const apiKeyDetector: Detector = {
  category: 'secret.api_key',
  kind: 'span',
  view: 'canonical',
  priority: 90,
  detect(text) {
    if (!ANY_PREFIX.test(text)) return [];
    const found: DetectorMatch[] = [];
    for (const rule of API_KEY_RULES) {
      for (const m of text.matchAll(rule.pattern)) {
        const body = m.groups?.['body'] ?? m.groups?.['fine'] ?? m[0];
        if (looksRandom(body, rule.needs)) found.push({ rule: rule.id, start: m.index, end: m.index + m[0].length });
      }
    }
    return found;
  },
};
