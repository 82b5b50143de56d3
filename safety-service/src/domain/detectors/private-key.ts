import type { Detector, DetectorMatch } from './detector.js';

export const PRIVATE_KEY_RULE = 'secret.private_key.pem.v1';

// "-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN OPENSSH PRIVATE KEY-----", "-----BEGIN PGP PRIVATE KEY BLOCK-----"...
// One bounded class before the fixed words: no nested quantifiers.
const BEGIN = /-----BEGIN ([A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?)-----/g;
/** A real key has a body: at least this many base64 characters between the armour lines. */
const MIN_BODY_CHARS = 40;
const BASE64_CHAR = /[A-Za-z0-9+/=]/;

/** Counts base64 characters of `body`, skipping "Name: value" header lines (Proc-Type, DEK-Info), up to `limit`. */
function base64Chars(body: string, limit: number): number {
  let count = 0;
  for (const line of body.split('\n')) {
    if (/^\s*[A-Za-z-]{1,40}:/.test(line)) continue;
    for (const ch of line) {
      if (BASE64_CHAR.test(ch) && (count += 1) >= limit) return count;
    }
  }
  return count;
}

/**
 * A PEM block from BEGIN to its END line. Without an END (output cut off, a streamed window)
 * the block runs to the next armour line or the end of the text: a partial key is still a key.
 */
export const privateKeyDetector: Detector = {
  category: 'secret.private_key',
  kind: 'span',
  view: 'canonical',
  priority: 100,
  detect(text) {
    if (!text.includes('PRIVATE KEY')) return [];
    const found: DetectorMatch[] = [];
    // Where each label's END line was last found (-1: nowhere after that point), so no END is searched for twice.
    const lastEnd = new Map<string, number>();
    let coveredTo = 0;
    for (const m of text.matchAll(BEGIN)) {
      if (m.index < coveredTo) continue;
      const label = m[1] as string;
      const bodyStart = m.index + m[0].length;
      const endLine = `-----END ${label}-----`;
      let endAt = lastEnd.get(label);
      if (endAt === undefined || (endAt >= 0 && endAt < bodyStart)) {
        endAt = text.indexOf(endLine, bodyStart);
        lastEnd.set(label, endAt);
      }
      // The body stops at the next armour line: this block's END, or the BEGIN of another block if it was cut off.
      const nextArmour = text.indexOf('-----', bodyStart);
      const complete = endAt >= 0 && nextArmour === endAt;
      const bodyEnd = complete ? endAt : nextArmour >= 0 ? nextArmour : text.length;
      if (base64Chars(text.slice(bodyStart, bodyEnd), MIN_BODY_CHARS) < MIN_BODY_CHARS) continue;
      const end = complete ? endAt + endLine.length : bodyEnd;
      found.push({ rule: PRIVATE_KEY_RULE, start: m.index, end });
      coveredTo = end;
    }
    return found;
  },
};
