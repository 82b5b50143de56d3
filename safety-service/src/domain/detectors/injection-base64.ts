import { isUtf8 } from 'node:buffer';
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
const MIN_CHARS = 20;
/** Per ASCII code: 1 when the character belongs to a run (`[A-Za-z0-9+/_\-\r\n]`). */
const RUN_CHAR = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-\r\n') RUN_CHAR[ch.charCodeAt(0)] = 1;
const isRunChar = (c: number): boolean => c < 128 && RUN_CHAR[c] === 1;

/**
 * The matches of `/[A-Za-z0-9+/_\-\r\n]{20,}={0,2}/g`, in order, found in one pass. A match can
 * only start where a run of those characters starts (had the run started earlier, its start
 * would have matched first and taken it whole), so each maximal run of 20 or more, plus up to two
 * `=`, is a match, and a shorter run is none. The regex tried every position of every word again.
 */
export function base64Runs(text: string): { index: number; run: string }[] {
  const found: { index: number; run: string }[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isRunChar(text.charCodeAt(i))) {
      i += 1;
      continue;
    }
    const start = i;
    while (i < n && isRunChar(text.charCodeAt(i))) i += 1;
    if (i - start < MIN_CHARS) continue;
    if (text.charCodeAt(i) === 0x3d) i += text.charCodeAt(i + 1) === 0x3d ? 2 : 1;
    found.push({ index: start, run: text.slice(start, i) });
  }
  return found;
}
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
  const bytes = Buffer.from(body.slice(0, usable), 'base64');
  // Most runs are keys and hashes, binary once decoded: checked first, a throwing decode cost ~10 us each.
  if (!isUtf8(bytes)) return undefined;
  let decoded: string;
  try {
    decoded = utf8.decode(bytes);
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
    for (const { index, run } of base64Runs(text)) {
      if (runs >= MAX_RUNS) break;
      const decoded = decodePlausibleBase64(run);
      if (decoded === undefined) continue;
      runs += 1;
      if (findInjection(foldedView(decoded).text).length > 0) {
        // Leading or trailing line breaks are not part of the run the user sees.
        const lead = run.length - run.trimStart().length;
        const trimmed = run.trim();
        found.push({ rule: 'prompt_injection.base64.v1', start: index + lead, end: index + lead + trimmed.length });
      }
    }
    return found;
  },
};
