import type { Detector, DetectorMatch } from './detector.js';

export const IBAN_RULE = 'pii.iban.v1';

/** IBAN length per country (SWIFT IBAN registry); a country not listed here is not an IBAN. */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28,
  IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
  LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
  NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24,
  SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/** ISO 13616 check: move the first four characters to the end, letters to 10..35, remainder mod 97 is 1. */
export function ibanChecksumValid(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? code - 55 : code - 48;
    remainder = value >= 10 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
  }
  return remainder === 1;
}

export function isIban(compact: string): boolean {
  const expected = IBAN_LENGTHS[compact.slice(0, 2)];
  return expected !== undefined && compact.length === expected && /^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(compact) && ibanChecksumValid(compact);
}

const START = /(?<![\p{L}\p{N}_])([A-Z]{2})\d{2}(?=[ -]?[A-Z0-9])/gu;
/** `[A-Z0-9]` by character code: a regex test per character was most of this detector's time. */
const isAlnum = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
const SPACE = 0x20;
const DASH = 0x2d;

/**
 * From a country code, takes exactly that country's number of characters (single spaces or dashes
 * between them allowed, one kind per IBAN, as in printed forms) and requires the IBAN to end there: a longer run is
 * some other identifier, not an IBAN with text after it.
 */
function readIban(text: string, start: number, length: number): { end: number; compact: string } | undefined {
  let compact = '';
  let separator = -1;
  let i = start;
  while (i < text.length && compact.length < length) {
    const c = text.charCodeAt(i);
    if (isAlnum(c)) {
      compact += text[i] as string;
      i += 1;
    } else if ((c === SPACE || c === DASH) && (separator < 0 || separator === c) && compact.length >= 4 && isAlnum(text.charCodeAt(i + 1))) {
      separator = c;
      i += 1;
    } else {
      return undefined;
    }
  }
  if (compact.length < length) return undefined;
  if (/[\p{L}\p{N}_]/u.test(text[i] ?? '')) return undefined;
  return { end: i, compact };
}

/**
 * Whether `index` sits inside an IBAN-shaped run ("NL91 ABNA 0417 ..."): phone and card detectors
 * must not read the digit groups of an IBAN (valid or not) as a number of their own.
 */
export function insideIbanShape(text: string, index: number): boolean {
  return IBAN_PREFIX_BEFORE.test(text.slice(Math.max(0, index - 40), index));
}
const IBAN_PREFIX_BEFORE = /(?:^|[^\p{L}\p{N}_])[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4})*[ -]?$/u;

export const ibanDetector: Detector = {
  category: 'pii.iban',
  kind: 'span',
  view: 'canonical',
  priority: 80,
  detect(text) {
    const found: DetectorMatch[] = [];
    for (const m of text.matchAll(START)) {
      const length = IBAN_LENGTHS[m[1] as string];
      if (length === undefined) continue;
      const read = readIban(text, m.index, length);
      if (read && ibanChecksumValid(read.compact)) found.push({ rule: IBAN_RULE, start: m.index, end: read.end });
    }
    return found;
  },
};
