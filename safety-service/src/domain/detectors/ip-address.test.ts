import { describe, expect, it } from 'vitest';
import { createModerator } from '../engine.js';
import { IP_ADDRESS_RULES, ipAddressDetector, ipv4Valid, ipv6Valid } from './ip-address.js';

const detect = (text: string) => ipAddressDetector.detect(text, { direction: 'output' });
const found = (text: string): string[] => detect(text).map((m) => text.slice(m.start, m.end));

function completesQuickly(text: string): boolean {
  const started = performance.now();
  detect(text);
  return performance.now() - started < 1_000;
}

describe('IP address detector', () => {
  it.each([
    ['EN', 'The login came from 203.0.113.42 at noon.', '203.0.113.42'],
    ['DE', 'Der Zugriff erfolgte von der IP-Adresse 192.168.178.21 aus.', '192.168.178.21'],
    ['FR', "L'adresse IP du client était 10.0.0.5, d'après les journaux.", '10.0.0.5'],
  ])('finds an IPv4 address in %s prose', (_language, text, ip) => {
    expect(found(text)).toEqual([ip]);
    expect(detect(text)[0]?.rule).toBe(IP_ADDRESS_RULES.v4);
  });

  it.each([
    '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
    '2001:db8:85a3::8a2e:370:7334',
    'fe80::1ff:fe23:4567:890a',
    '2001:db8::1',
    '::ffff:192.0.2.128',
  ])('finds the IPv6 address %s, compressed or not', (ip) => {
    const text = `Client address: ${ip}.`;
    expect(found(text)).toContain(ip);
    expect(detect(text).map((m) => m.rule)).toContain(IP_ADDRESS_RULES.v6);
  });

  it.each([
    ['a version string after "version"', 'Please install version 1.2.3.4 first.'],
    ['a version string after "v."', 'Fixed in v. 2.10.0.1 and Version 4.1.0.2.'],
    ['a German release number', 'Firmware 7.5.0.12 ist installiert.'],
    ['a version glued to "v"', 'see v1.2.3.4'],
    ['a longer dotted sequence', 'section 1.2.3.4.5 of the standard'],
    ['an octet above 255', 'counter 300.1.1.1'],
    ['leading zeros', 'Datum 01.02.03.04'],
    ['loopback and unspecified', 'bind to 127.0.0.1 or 0.0.0.0 or ::1'],
    ['a netmask', 'netmask 255.255.255.0'],
    ['a price and a date', 'Prix : 1.234,56 €, le 12.05.2024'],
    ['a time', 'at 12:30:45 sharp'],
    ['a MAC address', 'MAC 00:1a:2b:3c:4d:5e'],
    ['a C++ scope', 'use std::vector and Abc::Def'],
  ])('does not report %s', (_what, text) => {
    expect(found(text)).toEqual([]);
  });

  it('validates octets and IPv6 group counts', () => {
    expect(ipv4Valid('256.1.1.1')).toBe(false);
    expect(ipv6Valid('1:2:3:4:5:6:7')).toBe(false);
    expect(ipv6Valid('1:2:3:4:5:6:7:8:9')).toBe(false);
    expect(ipv6Valid('1::2::3')).toBe(false);
    expect(ipv6Valid('1:2:3:4:5:6:7:8')).toBe(true);
  });

  it('is redacted as [IP_ADDRESS] by the default policy in both directions', () => {
    for (const direction of ['input', 'output'] as const) {
      expect(createModerator().moderate({ text: 'ssh root@203.0.113.42 -p 22', direction })).toMatchObject({
        action: 'redact',
        text: 'ssh root@[IP_ADDRESS] -p 22',
      });
    }
  });

  it.each([
    ['dotted digits', '1.'],
    ['a near-IPv4', '1.2.3.'],
    ['colon-separated hex', 'ffff:'],
    ['alternating colons and letters', ':a'],
    ['double colons', '::1:'],
  ])('completes on a 100 KB run of %s', (_what, unit) => {
    expect(completesQuickly(unit.repeat(Math.ceil(100_000 / unit.length)))).toBe(true);
  });
});
