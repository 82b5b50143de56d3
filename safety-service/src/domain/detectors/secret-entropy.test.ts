import { describe, expect, it } from 'vitest';
import { randomString } from '../../../test/fixtures.js';
import { decodeBase64, hasBalancedCase, isPlaceholder, isStructuredId, looksRandom } from './secret-entropy.js';

describe('secret entropy helpers', () => {
  it('tells random bodies from low-entropy ones and placeholders', () => {
    expect(looksRandom(randomString(32, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 9))).toBe(true);
    expect(looksRandom('abababababababababababababababab')).toBe(false);
    for (const value of ['xxxxxxxxxxxx', 'AKIAIOSFODNN7EXAMPLE', 'your-key-here', 'changeme', '************']) {
      expect(isPlaceholder(value), value).toBe(true);
    }
  });

  it('knows UUIDs and git SHAs are ids, and camelCase is not random case', () => {
    expect(isStructuredId('123e4567-e89b-12d3-a456-426614174000')).toBe(true);
    expect(isStructuredId('3f786850e387550fdab836ed7e6dc881de23001b')).toBe(true);
    expect(hasBalancedCase('requiredCharacteristicTypesForDisp')).toBe(false);
    expect(hasBalancedCase('jCBaQngSHiHDRYOcsMcifUcysGyaiybUWz')).toBe(true);
  });

  it('decodes base64url and refuses other text', () => {
    expect(decodeBase64('eyJhbGciOiJub25lIn0')).toBe('{"alg":"none"}');
    expect(decodeBase64('not base64!')).toBeUndefined();
  });
});
