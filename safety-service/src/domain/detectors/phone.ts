import type { Detector, DetectorMatch } from './detector.js';
import { insideIbanShape } from './iban.js';

export const PHONE_RULES = {
  international: 'pii.phone.international.v1',
  nanp: 'pii.phone.nanp.v1',
  de: 'pii.phone.de.v1',
  fr: 'pii.phone.fr.v1',
} as const;

// A phone number never starts or ends inside a longer token: not after a letter, digit, '+', '#'
// (order and ticket numbers) or a separator glued to a digit; not before a letter or digit.
const BEFORE = String.raw`(?<![\p{L}\p{N}_+#]|[\p{N}][-./ ])`;
const AFTER = String.raw`(?![\p{L}\p{N}_]|[-./]\p{N})`;

const INTERNATIONAL = new RegExp(String.raw`${BEFORE}\+[1-9][\d ()./-]{6,24}\d${AFTER}`, 'gu');
// North American numbers: (415) 555-0132, 415-555-0132, 1-800-555-0199; always with separators.
const NANP = new RegExp(
  String.raw`${BEFORE}(?:1[ .-]?)?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[-. ])[2-9]\d{2}[-. ]\d{4}${AFTER}`,
  'gu',
);
// German numbers: an area code 0xx..0xxxx and a separator (030 1234567, 089/1234-567, (0221) 123456),
// or a contiguous mobile number (0171 and friends).
const GERMAN = new RegExp(
  String.raw`${BEFORE}(?:(?:\(0[1-9]\d{1,3}\) ?|0[1-9]\d{1,3}(?: ?/ ?|[ -]))\d{2,4}(?:[ -]?\d{2,4}){0,3}|01[5-7]\d{8,9})${AFTER}`,
  'gu',
);
// French numbers: ten digits in pairs with one consistent separator (06 12 34 56 78, 01.42.68.53.00),
// or a contiguous mobile number (06/07).
const FRENCH = new RegExp(String.raw`${BEFORE}(?:0[1-9]([ .-])\d{2}(?:\1\d{2}){3}|0[67]\d{8})${AFTER}`, 'gu');

const digitCount = (value: string): number => value.replace(/\D/g, '').length;

function balancedParentheses(value: string): boolean {
  let depth = 0;
  for (const ch of value) {
    if (ch === '(') depth += 1;
    else if (ch === ')') depth -= 1;
    if (depth < 0 || depth > 1) return false;
  }
  return depth === 0;
}

/** E.164 allows at most 15 digits; a national trunk "(0)" may add one. Separators come one at a time. */
function plausibleInternational(value: string): boolean {
  const digits = digitCount(value) - (value.includes('(0)') ? 1 : 0);
  return digits >= 8 && digits <= 15 && !/[ ./-]{2}/.test(value) && balancedParentheses(value);
}

/** Drops trailing digit groups until the number is plausible (a phone followed by a date, say). */
function trimInternational(value: string): string | undefined {
  let candidate = value;
  for (;;) {
    if (plausibleInternational(candidate)) return candidate;
    const cut = candidate.search(/[ ./-][^ ./-]*$/);
    if (cut <= 1) return undefined;
    candidate = candidate.slice(0, cut);
    if (!/\d\)?$/.test(candidate)) return undefined;
  }
}

function scan(pattern: RegExp, text: string, rule: string, accept: (value: string) => string | undefined): DetectorMatch[] {
  const found: DetectorMatch[] = [];
  for (const m of text.matchAll(pattern)) {
    const value = accept(m[0]);
    if (value !== undefined && !insideIbanShape(text, m.index)) found.push({ rule, start: m.index, end: m.index + value.length });
  }
  return found;
}

/** 123-45-6789 is the US social security number shape, not a German phone number. */
const SSN_SHAPE = /^\d{3}([- .])\d{2}\1\d{4}$/;

const plausibleGerman = (value: string): string | undefined => {
  const digits = digitCount(value);
  return digits >= 9 && digits <= 12 && !SSN_SHAPE.test(value) ? value : undefined;
};

export const phoneDetector: Detector = {
  category: 'pii.phone',
  kind: 'span',
  view: 'canonical',
  priority: 50,
  detect(text) {
    if (!/\d{2}/.test(text)) return [];
    return [
      ...scan(INTERNATIONAL, text, PHONE_RULES.international, trimInternational),
      ...scan(NANP, text, PHONE_RULES.nanp, (v) => v),
      ...scan(GERMAN, text, PHONE_RULES.de, plausibleGerman),
      ...scan(FRENCH, text, PHONE_RULES.fr, (v) => v),
    ];
  },
};
