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
});
