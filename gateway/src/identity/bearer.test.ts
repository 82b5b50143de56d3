import { describe, expect, it } from 'vitest';
import { AuthenticationError, bearerToken, classifyBearerToken } from './index.js';

const SECRET = 'A'.repeat(43);

describe('bearer tokens', () => {
  it.each([
    [`pst_${'x'.repeat(43)}`, 'session'],
    [`pk_abcdefgh2345_${SECRET}`, 'api_key'],
    [`pk_abcdefgh2345_${'a_b-'.repeat(10)}abc`, 'api_key'],
    ['eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', 'jwt'],
    ['eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'jwt'],
    ['pst_short', 'session'],
    [`pk_ABCDEFGH2345_${SECRET}`, 'unknown'],
    ['pk_abc', 'unknown'],
    ['a.b', 'unknown'],
    ['a.b.c.d', 'unknown'],
    ['admin-key with spaces', 'unknown'],
    [`${'a'.repeat(5000)}.${'b'.repeat(5000)}.c`, 'unknown'],
  ])('classifies %j as %s', (token, kind) => {
    expect(classifyBearerToken(token)).toBe(kind);
  });

  it('takes the credential from an Authorization header', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer  pk_x ')).toBe('pk_x');
  });

  it.each([
    [undefined, 'missing'],
    ['', 'missing'],
    ['Basic dXNlcjpwYXNz', 'malformed'],
    ['Bearer', 'malformed'],
    ['Bearer a b', 'malformed'],
  ])('refuses the header %j as %s', (header, reason) => {
    const err = (() => {
      try {
        bearerToken(header);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).reason).toBe(reason);
    expect((err as AuthenticationError).status).toBe(401);
  });
});
