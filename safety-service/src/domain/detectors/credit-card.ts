import type { Detector, DetectorMatch } from './detector.js';
import { insideIbanShape } from './iban.js';

export const CREDIT_CARD_RULE = 'pii.credit_card.v1';

/** Issuer ranges (IIN prefixes) and the lengths each issues; a number outside them is not a card. */
const ISSUERS: ReadonlyArray<{ from: number; to: number; digits: number; lengths: readonly number[] }> = [
  { from: 4, to: 4, digits: 1, lengths: [13, 16, 19] }, // Visa
  { from: 51, to: 55, digits: 2, lengths: [16] }, // Mastercard
  { from: 2221, to: 2720, digits: 4, lengths: [16] }, // Mastercard 2-series
  { from: 34, to: 34, digits: 2, lengths: [15] }, // American Express
  { from: 37, to: 37, digits: 2, lengths: [15] },
  { from: 300, to: 305, digits: 3, lengths: [14, 15, 16, 17, 18, 19] }, // Diners Club
  { from: 36, to: 36, digits: 2, lengths: [14, 15, 16, 17, 18, 19] },
  { from: 38, to: 39, digits: 2, lengths: [14, 15, 16, 17, 18, 19] },
  { from: 6011, to: 6011, digits: 4, lengths: [16, 17, 18, 19] }, // Discover
  { from: 644, to: 649, digits: 3, lengths: [16, 17, 18, 19] },
  { from: 65, to: 65, digits: 2, lengths: [16, 17, 18, 19] },
  { from: 3528, to: 3589, digits: 4, lengths: [16, 17, 18, 19] }, // JCB
  { from: 62, to: 62, digits: 2, lengths: [16, 17, 18, 19] }, // UnionPay
  { from: 50, to: 50, digits: 2, lengths: [16, 17, 18, 19] }, // Maestro, Dankort
  { from: 56, to: 69, digits: 2, lengths: [16, 17, 18, 19] },
  { from: 1, to: 1, digits: 1, lengths: [15] }, // UATP
];

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

export function knownIssuer(digits: string): boolean {
  for (const issuer of ISSUERS) {
    if (!issuer.lengths.includes(digits.length)) continue;
    const prefix = Number(digits.slice(0, issuer.digits));
    if (prefix >= issuer.from && prefix <= issuer.to) return true;
  }
  return false;
}

export function isCardNumber(digits: string): boolean {
  return digits.length >= 13 && digits.length <= 19 && knownIssuer(digits) && luhnValid(digits);
}

// Runs of digit groups joined by single spaces or dashes, not glued to letters, digits or a
// "x-"/"x." prefix (UUID tails, version strings).
const DIGIT_RUN = /(?<![\p{L}\p{N}_]|[\p{L}\p{N}][-.])\d+(?:[ -]\d+)*(?![\p{L}\p{N}_]|[-.][\p{L}\p{N}])/gu;
const GROUP = /\d+/g;

/**
 * Within one run, tries whole groups only (a card is never split mid-group), longest first,
 * so "4012 8888 8888 1881 4012-8888-8888-1881" yields two cards and a 40-digit id yields none.
 * Printed cards group by 4 to 6 digits; only the last group may be shorter ("1 2 3 4 ..." is no card).
 */
function cardsInRun(run: string, offset: number): DetectorMatch[] {
  const starts: number[] = [];
  const ends: number[] = [];
  const values: string[] = [];
  for (const g of run.matchAll(GROUP)) {
    starts.push(g.index);
    ends.push(g.index + g[0].length);
    values.push(g[0]);
  }
  const found: DetectorMatch[] = [];
  let i = 0;
  while (i < values.length) {
    // Every whole-group prefix starting at group i with 13..19 digits, longest tried first.
    const candidates: { last: number; digits: string }[] = [];
    let digits = '';
    for (let j = i; j < values.length; j += 1) {
      const group = values[j] as string;
      digits += group;
      if (digits.length > 19) break;
      if (digits.length >= 13) candidates.push({ last: j, digits });
      if (group.length < 4) break;
    }
    const card = candidates.reverse().find((c) => isCardNumber(c.digits));
    if (card) {
      found.push({ rule: CREDIT_CARD_RULE, start: offset + (starts[i] as number), end: offset + (ends[card.last] as number) });
      i = card.last + 1;
    } else {
      i += 1;
    }
  }
  return found;
}

export const creditCardDetector: Detector = {
  category: 'pii.credit_card',
  kind: 'span',
  view: 'canonical',
  priority: 80,
  detect(text) {
    const found: DetectorMatch[] = [];
    for (const m of text.matchAll(DIGIT_RUN)) {
      if (m[0].length >= 13 && !insideIbanShape(text, m.index)) found.push(...cardsInRun(m[0], m.index));
    }
    return found;
  },
};
