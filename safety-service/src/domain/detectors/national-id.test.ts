import { describe, expect, it } from 'vitest';
import { createModerator } from '../engine.js';
import { NATIONAL_ID_RULES, deTaxIdValid, mod1110CheckDigit, nationalIdDetector, nirValid, ssnValid } from './national-id.js';

const detect = (text: string) => nationalIdDetector.detect(text, { direction: 'output' });
const found = (text: string): string[] => detect(text).map((m) => text.slice(m.start, m.end));

/** Runs `detect` on a 100 KB near-match; a backtracking regex would take seconds or hang. */
function completesQuickly(text: string): boolean {
  const started = performance.now();
  detect(text);
  return performance.now() - started < 1_000;
}

describe('national id detector: US social security numbers', () => {
  it.each(['078-05-1123', '078.05.1123', '078 05 1123', '219-09-9998'])('finds %s in prose', (ssn) => {
    const text = `Her SSN is ${ssn}, please keep it private.`;
    expect(found(text)).toEqual([ssn]);
    expect(detect(text)[0]?.rule).toBe(NATIONAL_ID_RULES.usSsn);
  });

  it('finds nine undelimited digits only right after an SSN keyword', () => {
    expect(found('SSN: 078051123')).toEqual(['078051123']);
    expect(found('my social security number is 078051123')).toEqual(['078051123']);
    expect(found('078051123')).toEqual([]);
    expect(found('Order 078051123 shipped; SSN was mentioned earlier in the thread, long before.')).toEqual([]);
  });

  it.each([
    ['area 000', '000-12-3456'],
    ['area 666', '666-12-3456'],
    ['area 9xx', '912-34-5678'],
    ['group 00', '078 00 1123'],
    ['serial 0000', '078-05-0000'],
    ['mixed separators', '693-09.4444'],
    ['the voided Woolworth number', '078-05-1120'],
    ['ten digits', '0780511201'],
  ])('does not report %s', (_what, value) => {
    expect(found(`SSN ${value}`)).toEqual([]);
  });

  it('applies the SSA area, group and serial rules', () => {
    expect(ssnValid('078051123')).toBe(true);
    expect(ssnValid('666051123')).toBe(false);
    expect(ssnValid('900051123')).toBe(false);
  });

  it('does not read a date, a phone number or a price as an SSN', () => {
    expect(found('Due 2024-01-15, call (415) 555-0132 or +1 415 555 0132, total $123.45')).toEqual([]);
  });
});

describe('national id detector: French NIR', () => {
  it.each(['1 85 05 78 006 084 91', '185057800608491', '2 55 08 14 168 025 38'])('finds %s in French prose', (nir) => {
    const text = `Mon numéro de sécurité sociale est le ${nir}.`;
    expect(found(text)).toEqual([nir]);
    expect(detect(text)[0]?.rule).toBe(NATIONAL_ID_RULES.frNir);
  });

  it('handles Corsica (2A counts as 19, 2B as 18 in the key)', () => {
    expect(nirValid('193012A01234511')).toBe(true);
    expect(nirValid('288022B12345609')).toBe(true);
    expect(found('NIR : 1 93 01 2A 012 345 11')).toEqual(['1 93 01 2A 012 345 11']);
  });

  it('does not report a NIR-shaped number whose key is wrong or whose month cannot exist', () => {
    expect(found('1 85 05 78 006 084 92')).toEqual([]);
    expect(nirValid('185157800608491')).toBe(false);
  });
});

describe('national id detector: German tax id (Steuer-IdNr)', () => {
  it.each(['86095742719', '86 095 742 719', '47036892816', '65929970489'])('finds %s in German prose', (id) => {
    const text = `Meine Steuer-IdNr. lautet ${id}, bitte eintragen.`;
    expect(found(text)).toEqual([id]);
    expect(detect(text)[0]?.rule).toBe(NATIONAL_ID_RULES.deTaxId);
  });

  it('computes the ISO 7064 MOD 11,10 check digit', () => {
    expect(mod1110CheckDigit('8609574271')).toBe(9);
    expect(deTaxIdValid('86095742718')).toBe(false);
  });

  it('applies the digit-repetition rule', () => {
    // No digit repeated (the pre-2016 rule needs exactly one), even with a correct check digit.
    expect(deTaxIdValid(`1234567890${mod1110CheckDigit('1234567890')}`)).toBe(false);
    // One digit three times, all adjacent.
    expect(deTaxIdValid(`1112345678${mod1110CheckDigit('1112345678')}`)).toBe(false);
    // One digit three times, not all adjacent.
    expect(deTaxIdValid(`1121345678${mod1110CheckDigit('1121345678')}`)).toBe(true);
  });

  it('does not report a leading zero, a phone number or a longer number', () => {
    expect(found('Rufnummer 01711234567, Kundennummer 860957427190')).toEqual([]);
  });
});

describe('national id detector in the default policy', () => {
  it('redacts an SSN as [NATIONAL_ID] rather than as a phone number, in both directions', () => {
    for (const direction of ['input', 'output'] as const) {
      const result = createModerator().moderate({ text: 'SSN 078 05 1123, NIR 185057800608491', direction });
      expect(result.text).toBe('SSN [NATIONAL_ID], NIR [NATIONAL_ID]');
      expect(result.findings.map((f) => f.category)).toEqual(['pii.national_id', 'pii.national_id']);
    }
  });
});

describe('national id detector: linear time', () => {
  it.each([
    ['digit groups', '078-05-'],
    ['spaced digits', '1 2 '],
    ['NIR groups', '1 85 05 '],
    ['a keyword before endless digits', 'SSN 1'],
  ])('completes on a 100 KB run of %s', (_what, unit) => {
    expect(completesQuickly(unit.repeat(Math.ceil(100_000 / unit.length)))).toBe(true);
  });
});
