import type { Detector, DetectorMatch } from './detector.js';
import { insideIbanShape } from './iban.js';

export const PHONE_RULES = {
  international: 'pii.phone.international.v1',
  nanp: 'pii.phone.nanp.v1',
  de: 'pii.phone.de.v1',
  fr: 'pii.phone.fr.v1',
  /** Trunk-prefixed and mobile formats of other countries (0X-XXXXXXX, CN 1XX XXXX XXXX). */
  national: 'pii.phone.national.v1',
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
// German numbers: an area code 0xx..0xxxx and a separator (030 1234567, 089/1234-567, (0221) 123456).
const GERMAN = new RegExp(
  String.raw`${BEFORE}(?:\(0[1-9]\d{1,3}\) ?|0[1-9]\d{1,3}(?: ?/ ?|[ -]))\d{2,4}(?:[ -]?\d{2,4}){0,3}${AFTER}`,
  'gu',
);
// French numbers: ten digits in pairs with one consistent separator (06 12 34 56 78, 01.42.68.53.00).
const FRENCH = new RegExp(String.raw`${BEFORE}0[1-9]([ .-])\d{2}(?:\1\d{2}){3}${AFTER}`, 'gu');
// A one-digit area code after the trunk 0 (Israel 09-7625400, 03-123-4567; Tokyo 03-1234-5678; Australia 02 9876 5432).
const NATIONAL = new RegExp(String.raw`${BEFORE}0[1-9](?:-\d{7,8}|-\d{3,4}-\d{4}| \d{4} \d{4})${AFTER}`, 'gu');

// Mobile numbers written without separators look like any long number, so they count only after a
// phone word: DE 0151-0179 (11-12 digits), FR 06/07 (10 digits), CN 13x-19x (11 digits), and
// NANP numbers (area and exchange 2-9xx, optional country code 1).
const CONTIGUOUS_MOBILE = new RegExp(
  String.raw`${BEFORE}(?:01[5-7]\d{8,9}|0[67]\d{8}|1[3-9]\d{9}|1?[2-9]\d{2}[2-9]\d{6})${AFTER}`,
  'gu',
);
const PHONE_WORD =
  /phone|\btel\b|\btél|mobil|\bcell|\bcall|contact|reach|whats ?app|\bsms\b|\btext\b|\bfax|number|\bno\.|\bnr\b|nummer|telefon|handy|anruf|erreichbar|portable|numéro|numero|appel|joindre/i;
// "order number", "Kundennummer", "numéro de commande": an id, not a phone, even next to a phone word.
const ID_WORD =
  /order|invoice|account|customer|reference|\bref\b|tracking|ticket|booking|serial|\bid\b|bestell|rechnung|kunden|konto|auftrag|vorgang|commande|facture|client|compte|dossier|colis/i;

function afterPhoneWord(text: string, index: number): boolean {
  const before = text.slice(Math.max(0, index - 32), index);
  return PHONE_WORD.test(before) && !ID_WORD.test(before);
}

function mobileRule(value: string): string {
  if (value.startsWith('01')) return PHONE_RULES.de;
  if (value.startsWith('0')) return PHONE_RULES.fr;
  return /^1[3-9]\d{9}$/.test(value) ? PHONE_RULES.national : PHONE_RULES.nanp;
}

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

/**
 * E.164 allows at most 15 digits; a national trunk "(0)" may add one. Separators come one at a time,
 * except the spaced slash of German print ("+49 (0)89 / 1234 5678").
 */
function plausibleInternational(value: string): boolean {
  const digits = digitCount(value) - (value.includes('(0)') ? 1 : 0);
  return digits >= 8 && digits <= 15 && !/[ ./-]{2}/.test(value.replaceAll(' / ', '/')) && balancedParentheses(value);
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

function scan(
  pattern: RegExp,
  text: string,
  rule: string | ((value: string) => string),
  accept: (value: string, index: number) => string | undefined,
): DetectorMatch[] {
  const found: DetectorMatch[] = [];
  for (const m of text.matchAll(pattern)) {
    const value = accept(m[0], m.index);
    if (value !== undefined && !insideIbanShape(text, m.index)) {
      found.push({ rule: typeof rule === 'string' ? rule : rule(value), start: m.index, end: m.index + value.length });
    }
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
      ...scan(NATIONAL, text, PHONE_RULES.national, (v) => v),
      ...scan(CONTIGUOUS_MOBILE, text, mobileRule, (v, index) => (afterPhoneWord(text, index) ? v : undefined)),
    ];
  },
};
