import { describe, expect, it } from 'vitest';
import { createBootstrapAdmin } from './index.js';

const KEY = 'bootstrap-admin-key-0123456789abcdef';

describe('bootstrap admin', () => {
  it('recognises the configured key as the admin', () => {
    expect(createBootstrapAdmin(KEY).authenticate(KEY)).toEqual({ kind: 'bootstrap_admin', id: 'bootstrap-admin', role: 'admin' });
  });

  it.each([
    ['a different key of the same length', KEY.replace(/f$/, 'e')],
    ['a prefix', KEY.slice(0, -1)],
    ['a longer key', `${KEY}0`],
    ['the empty string', ''],
    ['other case', KEY.toUpperCase()],
  ])('refuses %s', (_what, presented) => {
    expect(createBootstrapAdmin(KEY).authenticate(presented)).toBeUndefined();
  });

  it('with no key configured (or an empty one), nothing ever matches', () => {
    for (const configured of [undefined, '']) {
      const admin = createBootstrapAdmin(configured);
      for (const presented of ['', 'undefined', KEY]) expect(admin.authenticate(presented)).toBeUndefined();
    }
  });
});
