import { describe, expect, it } from 'vitest';
import { pseudonymize, truncateIp } from './privacy.js';

describe('truncateIp', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0/24'],
    ['10.1.2.3', '10.1.2.0/24'],
    ['::ffff:203.0.113.77', '203.0.113.0/24'],
    ['::ffff:cb00:714d', '203.0.113.0/24'],
    ['2001:db8:abcd:12::1', '2001:db8:abcd::/48'],
    ['2001:0DB8:ABCD:0012:0000:0000:0000:0001', '2001:db8:abcd::/48'],
    ['[2001:db8:abcd:12::1]', '2001:db8:abcd::/48'],
    ['fe80::1%eth0', 'fe80::/48'],
    ['::1', '::/48'],
    ['64:ff9b::203.0.113.77', '64:ff9b::/48'],
  ])('truncates %s to %s with the default prefixes', (ip, expected) => {
    expect(truncateIp(ip)).toBe(expected);
  });

  it('honours other prefix lengths, masking inside a group', () => {
    expect(truncateIp('203.0.113.77', { v4PrefixBits: 16 })).toBe('203.0.0.0/16');
    expect(truncateIp('203.0.113.77', { v4PrefixBits: 20 })).toBe('203.0.112.0/20');
    expect(truncateIp('203.0.113.77', { v4PrefixBits: 0 })).toBe('0.0.0.0/0');
    expect(truncateIp('2001:db8:abcd:12ff::1', { v6PrefixBits: 56 })).toBe('2001:db8:abcd:1200::/56');
    expect(truncateIp('2001:db8:0:0:1:0:0:1', { v6PrefixBits: 64 })).toBe('2001:db8::/64');
  });

  it('keeps the full (normalised) address at 32 or 128 bits', () => {
    expect(truncateIp('203.0.113.77', { v4PrefixBits: 32 })).toBe('203.0.113.77');
    expect(truncateIp('::ffff:203.0.113.77', { v4PrefixBits: 32 })).toBe('203.0.113.77');
    expect(truncateIp('2001:DB8:0:0:1:0:0:1', { v6PrefixBits: 128 })).toBe('2001:db8::1:0:0:1');
  });

  it.each(['', 'unknown', 'localhost', '203.0.113', '256.1.1.1', '1.2.3.4/24', '2001:db8::1::2', '::ffff:999.1.1.1', ' ', 'x'.repeat(100)])(
    'turns %j into "unknown"',
    (ip) => {
      expect(truncateIp(ip)).toBe('unknown');
    },
  );

  it('rejects impossible prefix lengths as a programming error', () => {
    expect(() => truncateIp('1.2.3.4', { v4PrefixBits: 33 })).toThrow(RangeError);
    expect(() => truncateIp('::1', { v6PrefixBits: 12.5 })).toThrow(RangeError);
  });
});

describe('pseudonymize', () => {
  it('gives a stable 24-hex-char pseudonym that depends on the secret and does not contain the input', () => {
    const a = pseudonymize('server-secret', 'alice@example.com');
    expect(a).toMatch(/^[0-9a-f]{24}$/);
    expect(pseudonymize('server-secret', 'alice@example.com')).toBe(a);
    expect(pseudonymize('other-secret', 'alice@example.com')).not.toBe(a);
    expect(pseudonymize('server-secret', 'bob@example.com')).not.toBe(a);
  });

  it('refuses an empty secret', () => {
    expect(() => pseudonymize('', 'x')).toThrow(TypeError);
  });
});
