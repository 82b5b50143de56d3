import { hkdfSync } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import { UnauthorizedError } from './errors.js';

/** Header that carries the signed identity from one Parley service to the next. */
export const IDENTITY_HEADER = 'x-parley-identity';

export const identitySchema = z.object({
  /** Who is acting: a session id, an API key id, or a service name. */
  sub: z.string().min(1).max(200),
  kind: z.enum(['session', 'api_key', 'service']),
  role: z.enum(['user', 'admin', 'auditor', 'service']).default('user'),
  /** Language the caller chose, when known. */
  lang: z.enum(['en', 'de', 'fr']).optional(),
});
export type Identity = z.output<typeof identitySchema>;

const ALG = 'HS256';
const TTL_SECONDS = 60;

function keyFrom(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

export interface IdentitySigner {
  /** A short-lived token for `audience` (the service being called). */
  sign(identity: Identity, audience: string): Promise<string>;
}

/** Tokens are reused for half their lifetime: signing on every request is measurable at gateway rates. */
const REUSE_SECONDS = TTL_SECONDS / 2;
const MAX_CACHED = 10_000;

export function createIdentitySigner(options: { secret: string; issuer: string; now?: () => number }): IdentitySigner {
  const key = keyFrom(options.secret);
  const now = options.now ?? Date.now;
  const cache = new Map<string, { token: string; until: number }>();
  return {
    async sign(identity, audience) {
      const cacheKey = `${audience}\n${identity.kind}\n${identity.role}\n${identity.lang ?? ''}\n${identity.sub}`;
      const hit = cache.get(cacheKey);
      if (hit && hit.until > now()) return hit.token;
      const issuedAt = Math.floor(now() / 1000);
      const token = await new SignJWT({ kind: identity.kind, role: identity.role, ...(identity.lang ? { lang: identity.lang } : {}) })
        .setProtectedHeader({ alg: ALG })
        .setSubject(identity.sub)
        .setIssuer(options.issuer)
        .setAudience(audience)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + TTL_SECONDS)
        .sign(key);
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
      cache.set(cacheKey, { token, until: (issuedAt + REUSE_SECONDS) * 1000 });
      return token;
    },
  };
}

export interface IdentityVerifier {
  verify(token: string): Promise<Identity & { issuer: string }>;
}

export function createIdentityVerifier(options: { secret: string; audience: string }): IdentityVerifier {
  const key = keyFrom(options.secret);
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: [ALG],
          audience: options.audience,
          requiredClaims: ['sub', 'iss', 'exp'],
          clockTolerance: 5,
        });
        const identity = identitySchema.parse(payload);
        return { ...identity, issuer: String(payload.iss) };
      } catch (err) {
        const reason = err instanceof joseErrors.JWTExpired ? 'expired' : 'invalid';
        throw new UnauthorizedError(`Internal identity ${reason}: calls must come from inside Parley.`, { cause: err });
      }
    },
  };
}

/** Rejects any call that does not carry a valid identity signed with INTERNAL_SECRET. */
export function requireInternalIdentity(verifier: IdentityVerifier): RequestHandler {
  return async (req, res, next) => {
    const token = req.headers[IDENTITY_HEADER];
    if (typeof token !== 'string' || token.length === 0) {
      throw new UnauthorizedError('Missing internal identity: calls must come from inside Parley.');
    }
    res.locals['identity'] = await verifier.verify(token);
    next();
  };
}

export function identityOf(res: Response): Identity & { issuer: string } {
  const identity = res.locals['identity'] as (Identity & { issuer: string }) | undefined;
  if (!identity) throw new UnauthorizedError('No identity on this request.');
  return identity;
}

/** A purpose-bound key derived from a root secret (HKDF-SHA256), so one secret never serves two purposes directly. */
export function deriveSecret(rootSecret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', rootSecret, 'parley', purpose, 32));
}
