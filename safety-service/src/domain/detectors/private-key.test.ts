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

describe('private key detector, beyond RSA', () => {
  it('finds a key inside a JSON string with escaped newlines (a service-account file)', () => {
    const escaped = fakeSecrets.privateKey.replaceAll('RSA PRIVATE KEY', 'PRIVATE KEY').replaceAll('\n', '\\n');
    const text = `{"type": "service_account", "private_key": "${escaped}\\n"}`;
    const start = text.indexOf('-----BEGIN');
    expect(detect(text)).toEqual([{ rule: PRIVATE_KEY_RULE, start, end: start + escaped.length }]);
  });

  it('finds an encrypted legacy key with Proc-Type headers', () => {
    const lines = fakeSecrets.privateKey.split('\n');
    const text = [lines[0], 'Proc-Type: 4,ENCRYPTED', 'DEK-Info: AES-128-CBC,0123456789ABCDEF', '', ...lines.slice(1)].join('\n');
    expect(detect(text)).toEqual([{ rule: PRIVATE_KEY_RULE, start: 0, end: text.length }]);
  });

  it('reports a key cut off before the next block separately from that block', () => {
    const cut = fakeSecrets.privateKey.slice(0, 150);
    const text = `${cut}\n${fakeSecrets.privateKey}`;
    expect(detect(text)).toEqual([
      { rule: PRIVATE_KEY_RULE, start: 0, end: cut.length + 1 },
      { rule: PRIVATE_KEY_RULE, start: cut.length + 1, end: text.length },
    ]);
  });

  it('does not report armour lines with nothing between them', () => {
    expect(detect('-----BEGIN OPENSSH PRIVATE KEY----------END OPENSSH PRIVATE KEY-----')).toEqual([]);
  });

  it('finishes on 100 KB of BEGIN lines without a body or an END (hang guard, not a benchmark)', () => {
    for (const input of ['-----BEGIN RSA PRIVATE KEY-----\n'.repeat(3_200), `-----BEGIN ${'A '.repeat(50_000)}PRIVATE KEY-----`]) {
      const started = performance.now();
      detect(input);
      expect(performance.now() - started).toBeLessThan(1_000);
    }
  });
});
