import { describe, expect, it } from 'vitest';
import { cards } from '../../../test/fixtures.js';
import { CREDIT_CARD_RULE, creditCardDetector, isCardNumber, luhnValid } from './credit-card.js';

const found = (text: string): string[] =>
  creditCardDetector.detect(text, { direction: 'output' }).map((m) => text.slice(m.start, m.end));

describe('credit card detector', () => {
  it('finds card numbers written contiguously, with spaces or with dashes', () => {
    const text = `Visa ${cards.visa}, MC ${cards.mastercard}, Amex ${cards.amex}.`;
    expect(found(text)).toEqual([cards.visa, cards.mastercard, cards.amex]);
    expect(creditCardDetector.detect(text, { direction: 'output' })[0]?.rule).toBe(CREDIT_CARD_RULE);
  });

  it('finds Amex in its 4-6-5 grouping', () => {
    expect(found('card 3782 822463 10005 exp 12/29')).toEqual(['3782 822463 10005']);
  });

  it('splits several cards written one after another', () => {
    const text = '4012888888881881 4012-8888-8888-1881 4012 8888 8888 1881';
    expect(found(text)).toEqual(['4012888888881881', '4012-8888-8888-1881', '4012 8888 8888 1881']);
  });

  it('does not report a look-alike whose Luhn checksum fails', () => {
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(found(`my card number is ${cards.visaBadChecksum}`)).toEqual([]);
  });

  it('does not report a Luhn-valid number outside every issuer range', () => {
    expect(luhnValid('1748503543012')).toBe(true);
    expect(isCardNumber('1748503543012')).toBe(false);
    expect(found('1748503543012')).toEqual([]);
  });

  it.each([
    ['a git SHA', 'fixed in 3f786850e387550fdab836ed7e6dc881de23001b'],
    ['a UUID', 'request 123e4567-e89b-12d3-a456-426614174000 failed'],
    ['a long numeric id', 'tracking 4111111111111111111111111111'],
    ['a year and small numbers', 'in 2024 we sold 12 34 56 78 90 12 34 56 units'],
  ])('does not report %s', (_what, text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    ['EN', `Please charge my Visa ${cards.visa} (exp 04/27, CVV 123).`, [cards.visa]],
    ['DE', 'Meine Kreditkartennummer lautet 5555 5555 5555 4444, gültig bis 12/26.', ['5555 5555 5555 4444']],
    ['FR', 'Ma carte bancaire : 4970-1012-3456-7893, expire le 03/27.', ['4970-1012-3456-7893']],
  ])('finds card numbers in %s prose', (_language, text, numbers) => {
    expect(found(text)).toEqual(numbers);
  });

  it.each([
    ['an order id with a bad checksum', 'Bestellnummer 4111 1111 1111 1112 vom 15.01.2025'],
    ['prices and dates', 'Total 1 299,00 €, le 2025-03-14, invoice 2024-0001-0002-0003'],
    ['a phone number', 'Call +1 415 555 0132 or 0171 1234567'],
  ])('does not report %s', (_what, text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    ['grouped digits', '4111 '],
    ['dashed digits', '4111-'],
    ['one endless digit run', '4'],
    ['short groups', '0 12 '],
  ])('completes on a 100 KB run of %s', (_what, unit) => {
    const text = unit.repeat(Math.ceil(100_000 / unit.length));
    const started = performance.now();
    creditCardDetector.detect(text, { direction: 'output' });
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
