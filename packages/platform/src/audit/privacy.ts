import { createHmac } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

export interface TruncateIpOptions {
  /** Network bits kept of an IPv4 address; default 24. 32 keeps the full address. */
  v4PrefixBits?: number;
  /** Network bits kept of an IPv6 address; default 48. 128 keeps the full address. */
  v6PrefixBits?: number;
}

/**
 * Reduces a client address to its network, so the audit trail can tell networks apart
 * without holding a personal address: '203.0.113.77' -> '203.0.113.0/24',
 * '2001:db8:abcd:12::1' -> '2001:db8:abcd::/48'. IPv4-mapped IPv6 ('::ffff:1.2.3.4', as
 * seen on dual-stack sockets) is treated as IPv4. Brackets and zone ids are ignored.
 * Anything that is not an IP address becomes 'unknown'.
 */
export function truncateIp(ip: string, options: TruncateIpOptions = {}): string {
  const v4Bits = prefixBits(options.v4PrefixBits ?? 24, 32, 'v4PrefixBits');
  const v6Bits = prefixBits(options.v6PrefixBits ?? 48, 128, 'v6PrefixBits');
  let addr = ip.trim();
  if (addr.startsWith('[') && addr.endsWith(']')) addr = addr.slice(1, -1);
  const zone = addr.indexOf('%');
  if (zone !== -1 && isIPv6(addr)) addr = addr.slice(0, zone);

  if (isIPv4(addr)) return formatV4(parseV4(addr), v4Bits);
  if (!isIPv6(addr)) return 'unknown';
  const groups = parseV6(addr);
  if (groups === null) return 'unknown';
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) return formatV4((((groups[6] as number) << 16) | (groups[7] as number)) >>> 0, v4Bits);
  return formatV6(groups, v6Bits);
}

function prefixBits(bits: number, max: number, name: string): number {
  if (!Number.isInteger(bits) || bits < 0 || bits > max) throw new RangeError(`truncateIp: ${name} must be an integer from 0 to ${max}`);
  return bits;
}

function parseV4(addr: string): number {
  return addr.split('.').reduce((acc, octet) => ((acc << 8) | Number(octet)) >>> 0, 0);
}

function formatV4(value: number, bits: number): string {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const net = (value & mask) >>> 0;
  const text = [24, 16, 8, 0].map((shift) => (net >>> shift) & 0xff).join('.');
  return bits === 32 ? text : `${text}/${bits}`;
}

/** Eight 16-bit groups of an address that node:net already accepted as IPv6. */
function parseV6(addr: string): number[] | null {
  let text = addr.toLowerCase();
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return null;
    const v4 = parseV4(tail);
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest].map((g) => Number.parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (2+) of zero groups as '::'. */
function formatV6(groups: number[], bits: number): string {
  const masked = groups.map((g, i) => {
    const keep = Math.max(0, Math.min(16, bits - i * 16));
    return keep === 0 ? 0 : g & ((0xffff << (16 - keep)) & 0xffff);
  });
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (masked[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && masked[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = masked.map((g) => g.toString(16));
  const text =
    bestLen >= 2 ? `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}` : hex.join(':');
  return bits === 128 ? text : `${text}/${bits}`;
}

/** Length of a pseudonym in hex characters (96 bits). */
export const PSEUDONYM_LENGTH = 24;

/**
 * A stable pseudonym for an identifier that must not appear in the audit trail as is
 * (an OIDC subject, an e-mail): HMAC-SHA256 under a server secret, hex, first 24 chars.
 * Without the secret the pseudonym cannot be linked back by guessing inputs.
 */
export function pseudonymize(secret: string, value: string): string {
  if (secret.length === 0) throw new TypeError('pseudonymize: the secret must not be empty');
  return createHmac('sha256', secret).update(value, 'utf8').digest('hex').slice(0, PSEUDONYM_LENGTH);
}
