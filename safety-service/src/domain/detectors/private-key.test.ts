import { describe, expect, it } from 'vitest';
import { fakeSecrets } from '../../../test/fixtures.js';
import { PRIVATE_KEY_RULE, privateKeyDetector } from './private-key.js';

const detect = (text: string) => privateKeyDetector.detect(text, { direction: 'output' });

describe('private key detector', () => {
  it('finds a PEM block from BEGIN to END', () => {
    const text = `Here is the key:\n${fakeSecrets.privateKey}\nKeep it safe.`;
    expect(detect(text)).toEqual([{ rule: PRIVATE_KEY_RULE, start: 17, end: 17 + fakeSecrets.privateKey.length }]);
  });

  it('finds a block cut off before its END line, up to the end of the text', () => {
    const cut = fakeSecrets.privateKey.slice(0, 150);
    expect(detect(`key: ${cut}`)).toEqual([{ rule: PRIVATE_KEY_RULE, start: 5, end: 5 + cut.length }]);
  });

  it('finds OpenSSH, EC and PGP armour', () => {
    for (const kind of ['OPENSSH PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'PGP PRIVATE KEY BLOCK']) {
      const block = fakeSecrets.privateKey.replaceAll('RSA PRIVATE KEY', kind);
      expect(detect(block)).toHaveLength(1);
    }
  });

  it('does not report armour without a body, or a public key', () => {
    const empty = ['-----BEGIN PRIVATE KEY-----', 'anything', '-----END PRIVATE KEY-----'].join('\n');
    expect(detect(empty)).toEqual([]);
    expect(detect(fakeSecrets.privateKey.replaceAll('RSA PRIVATE KEY', 'PUBLIC KEY'))).toEqual([]);
  });
});
