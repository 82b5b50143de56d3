/** Shared checks that tell a random credential from a word, a placeholder or a structured id. */

/** Placeholder values documentation is full of ("xxxx", "EXAMPLE", "your-key-here", "changeme"). */
const PLACEHOLDER = /(.)\1{4}|x{4}|#{3}|\*{3}|\.{3}|example|your|here|placeholder|dummy|insert|replace|redacted|changeme|change_me|change-me/i;

export function isPlaceholder(value: string): boolean {
  return PLACEHOLDER.test(value);
}

export function shannonBitsPerChar(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

export interface CharClasses {
  lower: number;
  upper: number;
  digit: number;
  other: number;
}

export function charClasses(value: string): CharClasses {
  const classes: CharClasses = { lower: 0, upper: 0, digit: 0, other: 0 };
  for (let i = 0; i < value.length; i += 1) {
    const c = value.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) classes.lower += 1;
    else if (c >= 0x41 && c <= 0x5a) classes.upper += 1;
    else if (c >= 0x30 && c <= 0x39) classes.digit += 1;
    else classes.other += 1;
  }
  return classes;
}

/**
 * Random letters are about half upper case; identifiers in camelCase or CONSTANT_CASE are not.
 * Used where a format has letters only and no checksum (Hugging Face tokens).
 */
export function hasBalancedCase(value: string): boolean {
  const { lower, upper } = charClasses(value);
  const letters = lower + upper;
  return letters > 0 && upper / letters >= 0.25 && lower / letters >= 0.25;
}

export type Need = 'digit' | 'letter' | 'mixed_case' | 'balanced_case';
const NEEDS: Readonly<Record<Need, (body: string) => boolean>> = {
  digit: (body) => /\d/.test(body),
  letter: (body) => /[A-Za-z]/.test(body),
  mixed_case: (body) => /[a-z]/.test(body) && /[A-Z]/.test(body),
  balanced_case: hasBalancedCase,
};

/** Real keys are random: no placeholder words or runs, the expected character classes, enough entropy. */
export function looksRandom(body: string, needs: readonly Need[] = [], minBits = 3): boolean {
  if (isPlaceholder(body)) return false;
  if (!needs.every((need) => NEEDS[need](body))) return false;
  return shannonBitsPerChar(body) >= minBits;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GIT_SHA = /^[0-9a-f]{40}$/i;

/** Values that look random but are identifiers, not credentials: UUIDs and git object ids. */
export function isStructuredId(value: string): boolean {
  return UUID.test(value) || GIT_SHA.test(value);
}

/** Decodes base64 or base64url to a latin1 string, or undefined if `value` is not base64. */
export function decodeBase64(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) return undefined;
  return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1');
}
