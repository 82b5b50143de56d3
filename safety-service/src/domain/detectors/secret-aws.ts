import type { Detector, DetectorMatch } from './detector.js';
import { charClasses, isPlaceholder, shannonBitsPerChar } from './secret-entropy.js';

export const AWS_SECRET_RULE = 'secret.api_key.aws_secret.v1';

/**
 * AWS secret access keys are 40 base64 characters with no prefix of their own, so a bare one is
 * indistinguishable from any other blob: it counts only next to an "aws" or "secret" keyword.
 */
// Starts only where a base64 run starts (lookbehind), and a run longer than 40 is not a key: linear.
const CANDIDATE = /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])/g;
/** How far before the value the keyword may be: "aws_secret_access_key = " or "AWS secret key is ". */
const CONTEXT_CHARS = 80;
const CONTEXT = /aws|secret/i;

export function looksLikeAwsSecret(value: string): boolean {
  const { lower, upper, digit } = charClasses(value);
  // Random base64 of this length almost always mixes all three classes; 40-hex git SHAs do not.
  if (lower === 0 || upper === 0 || digit === 0) return false;
  return !isPlaceholder(value) && shannonBitsPerChar(value) >= 4.2;
}

export const awsSecretKeyDetector: Detector = {
  category: 'secret.api_key',
  kind: 'span',
  view: 'canonical',
  // Above the generic assignment rule, which may see the same value.
  priority: 89,
  detect(text) {
    const lower = text.toLowerCase();
    if (!lower.includes('aws') && !lower.includes('secret')) return [];
    const found: DetectorMatch[] = [];
    for (const m of text.matchAll(CANDIDATE)) {
      if (!CONTEXT.test(text.slice(Math.max(0, m.index - CONTEXT_CHARS), m.index))) continue;
      if (looksLikeAwsSecret(m[0])) found.push({ rule: AWS_SECRET_RULE, start: m.index, end: m.index + m[0].length });
    }
    return found;
  },
};
