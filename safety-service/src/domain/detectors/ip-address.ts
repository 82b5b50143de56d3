import type { Detector, DetectorMatch } from './detector.js';

// Rule ids hold no digits besides the version (engine tests check /^[a-z_.]+\.v\d+$/).
export const IP_ADDRESS_RULES = {
  v4: 'pii.ip_address.dotted_quad.v1',
  v6: 'pii.ip_address.colon_hex.v1',
} as const;

// Four dot-separated numbers, not part of a longer dotted sequence (section 1.2.3.4.5, OIDs) or word.
const IPV4 = /(?<![\p{L}\p{N}_.]|\p{N}[.:])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\p{L}\p{N}_]|\.\p{N})/gu;

// A run of hex digits, colons and dots with two colons among its first groups; parsed in code.
// The look-behind lets a match start only at the start of such a run, so scanning stays linear.
const IPV6_CANDIDATE = /(?<![\p{L}\p{N}_:.])(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:.]{2,45}(?![\p{L}\p{N}_:])/gu;

// "version 1.2.3.4", "v. 1.2.3.4", "firmware 10.0.0.12", "upgrade to 1.2.3.4": release numbers, not hosts.
// ("v1.2.3.4" never matches: a match cannot start right after a letter.)
const VERSION_BEFORE = /(?:\bversions?|\bver\.?|\bv\.?|\brelease|\brel\.?|\bbuild|\bfirmware|\bpatch|\b(?:up|down)grade(?:d)? to|\bupdate(?:d)? to)\s?[:#]?\s?$/i;

const OCTET = /^(?:0|[1-9]\d{0,2})$/;

/** Octets 0-255 without leading zeros; loopback, "this network" and multicast/reserved/netmask ranges are no one's address. */
export function ipv4Valid(value: string): boolean {
  const parts = value.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p) && Number(p) <= 255)) return false;
  const first = Number(parts[0]);
  return first !== 0 && first !== 127 && first < 224;
}

const HEXTET = /^[0-9A-Fa-f]{1,4}$/;

/** RFC 4291 text forms: eight groups, or fewer around one "::"; the last two may be a dotted IPv4. */
export function ipv6Valid(value: string): boolean {
  const halves = value.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((half) => (half === '' ? [] : half.split(':')));
  let count = 0;
  for (const [i, group] of groups.entries()) {
    if (HEXTET.test(group)) count += 1;
    else if (i === groups.length - 1 && group.includes('.') && ipv4Shape(group)) count += 2;
    else return false;
  }
  const compressed = halves.length === 2;
  if (compressed ? count > 7 : count !== 8) return false;
  // "::1", "a::b" (C++ scopes) and other short, digit-less forms are not worth a redaction.
  return count >= 2 && /\d/.test(value);
}

const ipv4Shape = (value: string): boolean =>
  value.split('.').length === 4 && value.split('.').every((p) => OCTET.test(p) && Number(p) <= 255);

export const ipAddressDetector: Detector = {
  category: 'pii.ip_address',
  kind: 'span',
  view: 'canonical',
  priority: 60,
  detect(text) {
    const found: DetectorMatch[] = [];
    if (text.includes('.')) {
      for (const m of text.matchAll(IPV4)) {
        if (ipv4Valid(m[0]) && !VERSION_BEFORE.test(text.slice(Math.max(0, m.index - 24), m.index))) {
          found.push({ rule: IP_ADDRESS_RULES.v4, start: m.index, end: m.index + m[0].length });
        }
      }
    }
    if (text.includes(':')) {
      for (const m of text.matchAll(IPV6_CANDIDATE)) {
        // A sentence may end right after the address.
        const value = m[0].replace(/\.+$/, '');
        if (ipv6Valid(value)) found.push({ rule: IP_ADDRESS_RULES.v6, start: m.index, end: m.index + value.length });
      }
    }
    return found;
  },
};
