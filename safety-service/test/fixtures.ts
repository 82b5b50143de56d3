/**
 * Test values. Secrets are assembled at run time from a seeded generator, so the repository
 * holds no literal that looks like a live key (secret scanners and push protection flag those).
 */
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const URLSAFE = `${ALNUM}-_`;
const BASE64 = `${ALNUM}+/`;

/** Deterministic pseudo-random text (xorshift32). */
export function randomString(length: number, alphabet: string, seed: number): string {
  let state = seed >>> 0 || 1;
  let out = '';
  for (let i = 0; i < length; i += 1) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out += alphabet[state % alphabet.length];
  }
  return out;
}

const join = (...parts: string[]): string => parts.join('');

export const fakeSecrets = {
  openai: join('sk-', 'proj-', randomString(64, ALNUM, 11)),
  openaiLegacy: join('sk-', randomString(48, ALNUM, 12)),
  anthropic: join('sk-', 'ant-', 'api03-', randomString(93, URLSAFE, 13), 'AA'),
  aws: join('AKIA', randomString(16, BASE32, 14)),
  awsSession: join('ASIA', randomString(16, BASE32, 15)),
  github: join('ghp', '_', randomString(36, ALNUM, 16)),
  githubServer: join('ghs', '_', randomString(36, ALNUM, 17)),
  githubFineGrained: join('github', '_pat_', randomString(22, ALNUM, 18), '_', randomString(59, ALNUM, 19)),
  slack: join('xoxb-', '2', randomString(11, '0123456789', 20), '-', randomString(13, '0123456789', 21), '-', randomString(24, ALNUM, 22)),
  stripe: join('sk', '_live_', randomString(24, ALNUM, 23)),
  stripeRestricted: join('rk', '_live_', randomString(24, ALNUM, 24)),
  google: join('AIza', randomString(35, URLSAFE, 25)),
  privateKey: [
    join('-----BEGIN ', 'RSA PRIVATE KEY-----'),
    ...Array.from({ length: 4 }, (_, i) => randomString(64, BASE64, 30 + i)),
    join('-----END ', 'RSA PRIVATE KEY-----'),
  ].join('\n'),
} as const;

/** Public test numbers from card networks' documentation. */
export const cards = {
  visa: '4111 1111 1111 1111',
  mastercard: '5555-5555-5555-4444',
  amex: '378282246310005',
  visaBadChecksum: '4111 1111 1111 1112',
} as const;

/** Example IBANs from the national banking associations, printed form. */
export const ibans = {
  DE: 'DE89 3704 0044 0532 0130 00',
  FR: 'FR14 2004 1010 0505 0001 3M02 606',
  GB: 'GB29 NWBK 6016 1331 9268 19',
  ES: 'ES91 2100 0418 4502 0005 1332',
  IT: 'IT60 X054 2811 1010 0000 0123 456',
  NL: 'NL91 ABNA 0417 1643 00',
  CH: 'CH93 0076 2011 6238 5295 7',
  AT: 'AT61 1904 3002 3457 3201',
  BE: 'BE68 5390 0754 7034',
} as const;
