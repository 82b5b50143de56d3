import { describe, expect, it } from 'vitest';
import { MAX_HOLD_CHARS, holdFrom } from './stream-hold.js';

const held = (text: string): string => text.slice(holdFrom(text));

describe('holdFrom: what a window of streamed output must keep back', () => {
  it('holds nothing when the window ends in plain prose', () => {
    expect(held('The weather in Lyon is mild today, ')).toBe('');
    expect(held('Happy to help with your password manager question. ')).toBe('');
  });

  it('holds a PEM block that has begun and not ended, however long', () => {
    const window = `Here you go:\n-----BEGIN RSA PRIVATE KEY-----\n${'MIIEowIBAAKCAQEAx'.repeat(40)}\n`;
    expect(held(window).startsWith('-----BEGIN RSA PRIVATE KEY-----')).toBe(true);
    expect(held(`${window}-----END RSA PRIVATE KEY-----\nDone. `)).toBe('');
  });

  it('holds the start of a key, a JWT or an email the next chunks complete', () => {
    expect(held('Use the key sk-proj-Abc12')).toBe('sk-proj-Abc12');
    expect(held('Authorization header: eyJhbGciOiJIUzI1Ni')).toBe('eyJhbGciOiJIUzI1Ni');
    expect(held('Write to jane.doe@exa')).toBe('jane.doe@exa');
    expect(held('token "ghp_R8sT2v')).toBe('"ghp_R8sT2v');
  });

  it('holds a number that may go on: a card, an IBAN, a phone', () => {
    expect(held('Card: 4111 1111 11')).toBe('4111 1111 11');
    expect(held('IBAN DE89 3704 0044')).toBe('DE89 3704 0044');
    expect(held('Call +49 30 123')).toBe('+49 30 123');
  });

  it('holds a key name whose value is coming', () => {
    expect(held('DB_PASSWORD=')).toBe('PASSWORD=');
    expect(held('  api_key: "kT9#v')).toBe('api_key: "kT9#v');
    expect(held('Authorization: Bearer abc')).toBe('Authorization: Bearer abc');
  });

  it('never holds more than MAX_HOLD_CHARS, so a stream cannot stall on one endless token', () => {
    const endless = `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(MAX_HOLD_CHARS * 2)}`;
    expect(endless.length - holdFrom(endless)).toBeLessThanOrEqual(MAX_HOLD_CHARS);
  });
});
