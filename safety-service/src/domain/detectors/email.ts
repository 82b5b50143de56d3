import type { Detector, DetectorMatch } from './detector.js';

export const EMAIL_RULE = 'pii.email.v1';

// Local part: dot-separated atoms; domain: at least one label and an alphabetic TLD (IDN via \p{L}
// or punycode). The look-arounds keep matches from starting or ending inside a longer token.
const LOCAL = String.raw`[\p{L}\p{N}_%+'-]+(?:\.[\p{L}\p{N}_%+'-]+)*`;
const DOMAIN = String.raw`(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+(?:\p{L}{2,63}|xn--[a-z0-9-]{1,59})`;
const EMAIL_SOURCE = String.raw`(?<![\p{L}\p{N}_%+'.-])${LOCAL}@${DOMAIN}(?![\p{L}\p{N}_-]|\.[\p{L}\p{N}])`;
const EMAIL_AT = new RegExp(EMAIL_SOURCE, 'uy');
/** A character the lookbehind refuses before a match, a superset of the local part's characters. */
const LOCAL_OR_DOT = /^[\p{L}\p{N}_%+'.-]$/u;

/**
 * The prefilter: every match contains an `@`, and starts where the run of `[\p{L}\p{N}_%+'.-]`
 * ending at that `@` starts (the lookbehind refuses any start inside the run, and the local part
 * cannot cross an `@`). So the pattern runs once per `@`, at that one position, listing exactly
 * the matches of a global scan, which tried every position of the text (slow on two-byte text).
 */
export function findEmails(text: string): DetectorMatch[] {
  const found: DetectorMatch[] = [];
  let cursor = 0;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > 0) {
      const unit = text.charCodeAt(start - 1);
      const pair = unit >= 0xdc00 && unit <= 0xdfff && start >= 2 && text.charCodeAt(start - 2) >= 0xd800 && text.charCodeAt(start - 2) <= 0xdbff;
      const width = pair ? 2 : 1;
      if (!LOCAL_OR_DOT.test(text.slice(start - width, start))) break;
      start -= width;
    }
    if (start === at || start < cursor) continue;
    EMAIL_AT.lastIndex = start;
    if (EMAIL_AT.test(text)) {
      found.push({ rule: EMAIL_RULE, start, end: EMAIL_AT.lastIndex });
      cursor = EMAIL_AT.lastIndex;
    }
  }
  return found;
}

export const emailDetector: Detector = {
  category: 'pii.email',
  kind: 'span',
  view: 'canonical',
  priority: 70,
  detect: (text) => findEmails(text),
};
