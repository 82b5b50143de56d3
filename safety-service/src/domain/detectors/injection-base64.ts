import { foldedView } from '../normalize.js';
import type { Detector, DetectorMatch } from './detector.js';
import { findInjection } from './prompt-injection.js';

/**
 * Prompt injection wrapped in base64 ("aWdub3JlIGFsbCBwcmV2aW91cyBpbnN0cnVjdGlvbnM="): plausible
 * base64 runs of bounded length are decoded here and the decoded text goes through the same
 * phrase rules as plain input. Runs on the canonical view, because base64 is case-sensitive and
 * the folded view is not. The decoded text exists only inside this call.
 */

/** Standard and URL-safe alphabets; line breaks inside a run are allowed (MIME wraps at 76). */
const BASE64_RUN = /[A-Za-z0-9+/_\-\r\n]{20,}={0,2}/g;
const MIN_CHARS = 20;
/** Longer runs are files or keys, not smuggled instructions; cost stays bounded either way. */
const MAX_CHARS = 16_384;
const MAX_RUNS = 64;
const PRINTABLE = /[\p{L}\p{N}\p{P}\p{Zs}\n\r\t]/gu;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The decoded text when `run` is base64 of mostly printable UTF-8, otherwise undefined. */
export function decodePlausibleBase64(run: string): string | undefined {
  const compact = run.replace(/[\r\n]/g, '');
  if (compact.length < MIN_CHARS || compact.length > MAX_CHARS) return undefined;
  // Plain words and identifiers are long runs too: real base64 of text mixes case and has no long lower-case stretch.
  if (!/[A-Z]/.test(compact) || !/[a-z]/.test(compact) || /[a-z]{12}/.test(compact)) return undefined;
  const body = compact.replace(/=+$/, '').replaceAll('-', '+').replaceAll('_', '/');
  const usable = body.length - (body.length % 4 === 1 ? 1 : 0);
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(body.slice(0, usable), 'base64'));
  } catch {
    return undefined;
  }
  if (decoded.length < 8) return undefined;
  const printable = decoded.match(PRINTABLE)?.length ?? 0;
  return printable / decoded.length >= 0.9 && /\s/.test(decoded) ? decoded : undefined;
}

export const injectionBase64Detector: Detector = {
  category: 'prompt_injection',
  kind: 'signal',
  view: 'canonical',
  priority: 10,
  detect(text) {
    const found: DetectorMatch[] = [];
    let runs = 0;
    for (const m of text.matchAll(BASE64_RUN)) {
      if (runs >= MAX_RUNS) break;
      const decoded = decodePlausibleBase64(m[0]);
      if (decoded === undefined) continue;
      runs += 1;
      if (findInjection(foldedView(decoded).text).length > 0) {
        // Leading or trailing line breaks are not part of the run the user sees.
        const lead = m[0].length - m[0].trimStart().length;
        const trimmed = m[0].trim();
        found.push({ rule: 'prompt_injection.base64.v1', start: m.index + lead, end: m.index + lead + trimmed.length });
      }
    }
    return found;
  },
};
