import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { InvalidApiKeyError } from '../errors.js';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Requires `Authorization: Bearer <key>` when `key` is set; lets everything through otherwise. */
export function requireBearer(key: string | undefined): RequestHandler {
  if (key === undefined) return (_req, _res, next) => next();
  const expected = digest(key);
  return (req, _res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match?.[1]) {
      next(new InvalidApiKeyError("You didn't provide an API key. Send it as 'Authorization: Bearer <key>'."));
      return;
    }
    // Compare digests: constant time and equal lengths whatever the caller sent.
    if (!timingSafeEqual(digest(match[1]), expected)) {
      next(new InvalidApiKeyError('Incorrect API key provided.'));
      return;
    }
    next();
  };
}
