import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal } from './principal.js';

export interface BootstrapAdmin {
  /** The bootstrap admin principal when `presented` is the configured key, else undefined. */
  authenticate(presented: string): Principal | undefined;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * The operator's break-glass admin key (ADMIN_API_KEY or a secret file). Both
 * sides are hashed to 32 bytes first, so the comparison is constant-time and
 * does not leak the configured key's length. No key configured (or an empty
 * one) means nothing ever matches.
 */
export function createBootstrapAdmin(key: string | undefined): BootstrapAdmin {
  if (key === undefined || key === '') return { authenticate: () => undefined };
  const expected = digest(key);
  return {
    authenticate(presented) {
      if (!timingSafeEqual(digest(presented), expected)) return undefined;
      return { kind: 'bootstrap_admin', id: 'bootstrap-admin', role: 'admin' };
    },
  };
}
