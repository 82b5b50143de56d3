import type { Detector, DetectorMatch } from './detector.js';

export const PRIVATE_KEY_RULE = 'secret.private_key.pem.v1';

// "-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN OPENSSH PRIVATE KEY-----", "-----BEGIN PGP PRIVATE KEY BLOCK-----"...
const BEGIN = /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----/g;
/** A real key has a body: at least this many base64 characters between the armour lines. */
const MIN_BODY_CHARS = 40;

/**
 * A PEM block from BEGIN to its END line. Without an END (output cut off, a streamed window)
 * the block runs to the end of the text: a partial key is still a key.
 */
export const privateKeyDetector: Detector = {
  category: 'secret.private_key',
  kind: 'span',
  view: 'canonical',
  priority: 100,
  detect(text) {
    if (!text.includes('PRIVATE KEY')) return [];
    const found: DetectorMatch[] = [];
    for (const m of text.matchAll(BEGIN)) {
      const bodyStart = m.index + m[0].length;
      if (found.some((f) => f.end > m.index)) continue;
      const endLine = `-----END ${m[1] as string}-----`;
      const endAt = text.indexOf(endLine, bodyStart);
      const bodyEnd = endAt < 0 ? text.length : endAt;
      const body = text.slice(bodyStart, bodyEnd);
      const base64Chars = body.replace(/^[A-Za-z-]+:.*$/gm, '').replace(/[^A-Za-z0-9+/=]/g, '').length;
      if (base64Chars < MIN_BODY_CHARS) continue;
      found.push({ rule: PRIVATE_KEY_RULE, start: m.index, end: endAt < 0 ? text.length : endAt + endLine.length });
    }
    return found;
  },
};
