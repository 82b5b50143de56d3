import { describe, expect, it } from 'vitest';
import { PHONE_RULES, phoneDetector } from './phone.js';

const found = (text: string): string[] =>
  phoneDetector
    .detect(text, { direction: 'output' })
    .sort((a, b) => a.start - b.start)
    .map((m) => text.slice(m.start, m.end));

describe('phone detector', () => {
  it.each([
    ['+49 30 1234567', 'international'],
    ['+1 (415) 555-0132', 'international'],
    ['+44 (20) 7123 4567', 'international'],
    ['+33 6 12 34 56 78', 'international'],
    ['+49 (0)30 1234567', 'international'],
    ['+49 (0) 89 / 1234 5678', 'international'],
    ['(415) 555-0132', 'nanp'],
    ['(415)555-0132', 'nanp'],
    ['415-555-0132', 'nanp'],
    ['1-800-555-0199', 'nanp'],
    ['030 1234567', 'de'],
    ['089/1234-5678', 'de'],
    ['(0221) 123456', 'de'],
    ['0171 1234567', 'de'],
    ['01711234567', 'de'],
    ['06 12 34 56 78', 'fr'],
    ['01.42.68.53.00', 'fr'],
    ['0612345678', 'fr'],
  ] as const)('finds %s (%s format)', (number, format) => {
    const text = `Call me on ${number} tomorrow.`;
    const matches = phoneDetector.detect(text, { direction: 'output' });
    expect(matches.map((m) => text.slice(m.start, m.end))).toContain(number);
    expect(matches.map((m) => m.rule)).toContain(PHONE_RULES[format]);
  });

  it.each([
    ['a year', 'It happened in 2024 and again in 1999.'],
    ['an order id', 'Order #0612345678 shipped; order 123456789 is pending.'],
    ['a date', 'Due 2024-01-15 or 15.01.2024 or 01/02/2024.'],
    ['a plain long number', 'Reference 12345678901 and 4711 0815.'],
    ['a version string', 'Upgrade to 10.4.1 or 1.2.3.4.'],
    ['a US social security number shape', 'SSN 078-05-1123'],
    ['an amount', 'Total: 1 234 567.89 EUR, +12.5% vs. last year'],
    ['the digit groups of an IBAN', 'NL91 ABNA 0417 1643 01'],
  ])('does not report %s', (_what, text) => {
    expect(found(text)).toEqual([]);
  });

  it('keeps an international number that is followed by a date out of the date', () => {
    expect(found('+49 30 1234567 20240115')).toEqual(['+49 30 1234567']);
  });

  it.each([
    ['EN', 'You can reach our office at (212) 555-0187 or +1 212-555-0187 after 9 am.', ['(212) 555-0187', '+1 212-555-0187']],
    ['EN', 'Call 212.555.0187 before 5:30 pm on 03/14/2025.', ['212.555.0187']],
    ['EN', 'Text me at 2125550187 or call 12125550187.', ['2125550187', '12125550187']],
    ['DE', 'Sie erreichen mich unter 0221 / 123 456 oder mobil unter +49 171 1234567.', ['0221 / 123 456', '+49 171 1234567']],
    ['DE', 'Telefon: (030) 12 34 56 78, Fax 030-12345679, am 15.01.2025 ab 14:00 Uhr.', ['(030) 12 34 56 78', '030-12345679']],
    ['DE', 'Meine Handynummer ist 015112345678.', ['015112345678']],
    ['FR', 'Appelez-moi au 06 12 34 56 78 ou au +33 (0)1 42 68 53 00 avant le 12/05/2025.', ['06 12 34 56 78', '+33 (0)1 42 68 53 00']],
    ['FR', 'Mon portable : 0712345678, le fixe 04-78-12-34-56.', ['0712345678', '04-78-12-34-56']],
    ['other', 'Tel. Tokyo 03-1234-5678, Tel Aviv 03-6123456, Sydney 02 9876 5432, mobile 13812345678.', ['03-1234-5678', '03-6123456', '02 9876 5432', '13812345678']],
  ])('finds every number in %s prose', (_language, text, numbers) => {
    expect(found(text)).toEqual(numbers);
  });

  it.each([
    ['prices', 'It costs $1,299.99 or 1.299,00 € or 1 299,00 €, was 2 499 EUR.'],
    ['times and dates', 'Meeting 2025-03-14 10:30, am 14.03.2025 um 09:15, le 14/03/2025 à 18h30.'],
    ['order and invoice ids', 'Order number 0612345678, Bestellnummer 01711234567, commande n° 0712345678.'],
    ['a contiguous mobile-shaped number without a phone word', 'Batch 0612345678, 13812345678 and 2125550187 were processed.'],
    ['a contiguous number after an id word', 'Call about invoice 2125550187.'],
    ['version strings', 'Released 2.14.0.3, version 10.0.19045, build 0.1.2.3.'],
    ['years and counts', 'Between 1990 and 2024 we shipped 12 000 000 units in 450 cities.'],
  ])('does not report %s', (_what, text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    ['a plus and spaced digits', '+1 '],
    ['dashed digits', '1-'],
    ['German area groups', '0 12 '],
    ['parentheses', '(0'],
    ['a phone word before endless digits', 'Tel 0'],
  ])('completes on a 100 KB run of %s', (_what, unit) => {
    const text = unit.repeat(Math.ceil(100_000 / unit.length));
    const started = performance.now();
    phoneDetector.detect(text, { direction: 'output' });
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
