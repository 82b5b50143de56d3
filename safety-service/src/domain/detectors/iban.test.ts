import { describe, expect, it } from 'vitest';
import { ibans } from '../../../test/fixtures.js';
import { IBAN_RULE, ibanChecksumValid, ibanDetector, isIban } from './iban.js';

const found = (text: string): string[] =>
  ibanDetector.detect(text, { direction: 'output' }).map((m) => text.slice(m.start, m.end));

describe('IBAN detector', () => {
  it.each(Object.entries(ibans))('finds a %s IBAN in printed and compact form', (_country, iban) => {
    expect(found(`Pay to ${iban}, thanks`)).toEqual([iban]);
    const compact = iban.replaceAll(' ', '');
    expect(found(`IBAN:${compact}.`)).toEqual([compact]);
    expect(isIban(compact)).toBe(true);
  });

  it('reports the rule id', () => {
    expect(ibanDetector.detect(ibans.DE, { direction: 'output' })).toEqual([{ rule: IBAN_RULE, start: 0, end: ibans.DE.length }]);
  });

  it('accepts dashes as separators', () => {
    expect(found('AL47-2121-1009-0000-0002-3569-8741')).toEqual(['AL47-2121-1009-0000-0002-3569-8741']);
  });

  it('does not report an IBAN whose mod-97 checksum fails', () => {
    expect(ibanChecksumValid('DE89370400440532013001')).toBe(false);
    expect(found('DE89 3704 0044 0532 0130 01')).toEqual([]);
  });

  it('does not report a run longer or shorter than the country length', () => {
    expect(found('DE89 3704 0044 0532 0130 0')).toEqual([]);
    expect(found('DE89 3704 0044 0532 0130 001')).toEqual([]);
    expect(found('IL15 0120 6900 0000 3111 0120 6900 0000 3111 141')).toEqual([]);
  });

  it('does not report lowercase text or an unknown country', () => {
    expect(found('de89 3704 0044 0532 0130 00')).toEqual([]);
    expect(found('ZZ89 3704 0044 0532 0130 00')).toEqual([]);
  });

  it.each([
    ['EN', 'Please wire the deposit to GB29 NWBK 6016 1331 9268 19 by Monday.', ['GB29 NWBK 6016 1331 9268 19']],
    ['DE', 'Überweisen Sie den Betrag auf DE89 3704 0044 0532 0130 00 (Verwendungszweck: Rechnung 2025-17).', ['DE89 3704 0044 0532 0130 00']],
    ['FR', 'Mon IBAN est FR1420041010050500013M02606, merci.', ['FR1420041010050500013M02606']],
  ])('finds IBANs in %s prose', (_language, text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each([
    ['a country code and digits in a sentence', 'DE 2025 results, FR12 test, NL rank 42'],
    ['a product code', 'Part number DE12ABCD34567890 is out of stock.'],
  ])('does not report %s', (_what, text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    ['grouped country codes', 'DE89 '],
    ['glued country codes', 'DE89'],
    ['one endless IBAN body', 'DE89 3704'],
  ])('completes on a 100 KB run of %s', (_what, unit) => {
    const text = unit.repeat(Math.ceil(100_000 / unit.length));
    const started = performance.now();
    ibanDetector.detect(text, { direction: 'output' });
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
