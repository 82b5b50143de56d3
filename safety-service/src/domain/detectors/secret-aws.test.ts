import { describe, expect, it } from 'vitest';
import { randomString } from '../../../test/fixtures.js';
import { AWS_SECRET_RULE, awsSecretKeyDetector } from './secret-aws.js';

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const detect = (text: string) => awsSecretKeyDetector.detect(text, { direction: 'output' });
const secret = randomString(40, BASE64, 51);

describe('AWS secret access key detector', () => {
  it.each([
    ['a credentials file', `[default]\naws_access_key_id = AKIA...\naws_secret_access_key = ${secret}\n`],
    ['an env file', `AWS_SECRET_ACCESS_KEY=${secret}`],
    ['prose', `Here is my AWS secret key: ${secret} (do not share)`],
  ])('finds a 40-character key next to an aws/secret keyword in %s', (_where, text) => {
    const start = text.indexOf(secret);
    expect(detect(text)).toEqual([{ rule: AWS_SECRET_RULE, start, end: start + 40 }]);
  });

  it.each([
    ['a key with no keyword nearby', `checksum ${secret}`],
    ['a git SHA next to "secret"', `secret commit ${randomString(40, '0123456789abcdef', 52)}`],
    ['the documentation example', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['a longer base64 run', `aws secret ${randomString(64, BASE64, 53)}`],
  ])('passes %s', (_what, text) => {
    expect(detect(text)).toEqual([]);
  });

  it('finishes on 100 KB of near-matches (hang guard, not a benchmark)', () => {
    for (const input of [`aws secret ${'A'.repeat(100_000)}`, `secret ${'Ab1/'.repeat(25_000)}`, `aws ${'Ab1='.repeat(25_000)}`]) {
      const started = performance.now();
      detect(input);
      expect(performance.now() - started).toBeLessThan(1_000);
    }
  });
});
