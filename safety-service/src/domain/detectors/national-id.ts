import type { Detector, DetectorMatch } from './detector.js';

export const NATIONAL_ID_RULES = {
  usSsn: 'pii.national_id.us_ssn.v1',
  frNir: 'pii.national_id.fr_nir.v1',
  deTaxId: 'pii.national_id.de_tax_id.v1',
} as const;

// Identifiers never start or end inside a longer token: not after a letter, digit or a separator
// glued to a digit (a longer grouped number), not before one.
const BEFORE = String.raw`(?<![\p{L}\p{N}_]|\p{N}[-./ ])`;
const AFTER = String.raw`(?![\p{L}\p{N}_]|[-./ ]\p{N})`;

// US SSN: AAA-GG-SSSS with one separator used throughout, or nine contiguous digits (keyword required).
const SSN_DELIMITED = new RegExp(String.raw`${BEFORE}(\d{3})([-. ])(\d{2})\2(\d{4})${AFTER}`, 'gu');
const SSN_CONTIGUOUS = new RegExp(String.raw`${BEFORE}\d{9}${AFTER}`, 'gu');
// The keyword must sit just before the number ("SSN: 078051123", "social security number is ...").
const SSN_KEYWORD = /(?:\bssn|\bsocial[ -]security(?: (?:number|no\.?|#))?|\bsoc\.? ?sec\.?(?: no\.?)?)[\s#:.-]{0,3}(?:(?:is|was|=)\s{1,2})?$/i;

// Numbers the SSA never issued or voided after they were printed in advertising and examples.
const SSN_KNOWN_FAKE = new Set(['078051120', '219099999', '123456789']);

/** SSA rules: area not 000, 666 or 9xx; group not 00; serial not 0000. */
export function ssnValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits) || SSN_KNOWN_FAKE.has(digits)) return false;
  const area = digits.slice(0, 3);
  return area !== '000' && area !== '666' && area[0] !== '9' && digits.slice(3, 5) !== '00' && digits.slice(5) !== '0000';
}

// French NIR (numéro de sécurité sociale): sex, year, month, department (2A/2B for Corsica), commune,
// order, then the two-digit key; printed contiguous or in its groups "1 85 05 78 006 084 36".
const NIR = new RegExp(
  String.raw`${BEFORE}[1-478]([ .-]?)\d{2}\1\d{2}\1(?:\d{2}|2[ABab])\1\d{3}\1\d{3}\1\d{2}${AFTER}`,
  'gu',
);

/** Key = 97 − (first 13 digits mod 97); Corsica's 2A/2B count as 19/18 in the computation. */
export function nirValid(compact: string): boolean {
  const value = compact.toUpperCase();
  if (!/^[1-478]\d{4}(?:\d{2}|2[AB])\d{8}$/.test(value)) return false;
  const month = Number(value.slice(3, 5));
  // 01-12, or 20 and above for unknown months and special registrations; never 00 or 13-19.
  if (month === 0 || (month > 12 && month < 20)) return false;
  const department = value.slice(5, 7);
  const numeric = department === '2A' ? `${value.slice(0, 5)}19${value.slice(7)}` : department === '2B' ? `${value.slice(0, 5)}18${value.slice(7)}` : value;
  const body = Number(numeric.slice(0, 13));
  return 97 - (body % 97) === Number(numeric.slice(13));
}

// German Steuerliche Identifikationsnummer: eleven digits, contiguous or grouped "12 345 678 903".
const DE_TAX_ID = new RegExp(String.raw`${BEFORE}[1-9]\d ?\d{3} ?\d{3} ?\d{3}${AFTER}`, 'gu');

/** ISO 7064 MOD 11,10 check digit over the first ten digits. */
export function mod1110CheckDigit(digits: string): number {
  let product = 10;
  for (let i = 0; i < digits.length; i += 1) {
    let sum = (digits.charCodeAt(i) - 48 + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  const check = 11 - product;
  return check === 10 ? 0 : check;
}

/**
 * BZSt rules: no leading zero; in the first ten digits exactly one digit occurs twice or three
 * times (three never all adjacent) and every other digit at most once; then the check digit.
 */
export function deTaxIdValid(digits: string): boolean {
  if (!/^[1-9]\d{10}$/.test(digits)) return false;
  const body = digits.slice(0, 10);
  const counts = new Array<number>(10).fill(0);
  for (const ch of body) {
    const d = ch.charCodeAt(0) - 48;
    counts[d] = (counts[d] ?? 0) + 1;
  }
  const repeated = counts.filter((c) => c > 1);
  if (repeated.length !== 1 || (repeated[0] as number) > 3) return false;
  if (repeated[0] === 3 && /(\d)\1\1/.test(body)) return false;
  return mod1110CheckDigit(body) === digits.charCodeAt(10) - 48;
}

const onlyDigits = (value: string): string => value.replace(/\D/g, '');

function scan(pattern: RegExp, text: string, rule: string, accept: (value: string, index: number) => boolean): DetectorMatch[] {
  const found: DetectorMatch[] = [];
  for (const m of text.matchAll(pattern)) {
    if (accept(m[0], m.index)) found.push({ rule, start: m.index, end: m.index + m[0].length });
  }
  return found;
}

export const nationalIdDetector: Detector = {
  category: 'pii.national_id',
  kind: 'span',
  view: 'canonical',
  // Above cards (a NIR can pass Luhn with a UATP prefix) and phones (an SSN has a phone's shape).
  priority: 85,
  detect(text) {
    if (!/\d{2}/.test(text)) return [];
    return [
      ...scan(SSN_DELIMITED, text, NATIONAL_ID_RULES.usSsn, (v) => ssnValid(onlyDigits(v))),
      ...scan(
        SSN_CONTIGUOUS,
        text,
        NATIONAL_ID_RULES.usSsn,
        (v, index) => ssnValid(v) && SSN_KEYWORD.test(text.slice(Math.max(0, index - 40), index)),
      ),
      ...scan(NIR, text, NATIONAL_ID_RULES.frNir, (v) => nirValid(v.replace(/[ .-]/g, ''))),
      ...scan(DE_TAX_ID, text, NATIONAL_ID_RULES.deTaxId, (v) => deTaxIdValid(onlyDigits(v))),
    ];
  },
};
