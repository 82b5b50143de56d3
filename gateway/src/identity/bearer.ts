import { AuthenticationError } from './errors.js';

export type BearerKind = 'session' | 'api_key' | 'jwt' | 'unknown';

/** Longer than any credential we issue or accept; bounds the work an anonymous request can cause. */
export const MAX_BEARER_CHARS = 8192;

export const API_KEY_SHAPE = /^pk_([a-z2-7]{12})_([\w-]{43})$/;
// The signature part may be empty: an unsigned `alg: none` token must reach the verifier and be refused as such.
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/** Which verifier a bearer credential belongs to, from its shape alone (no lookup, no crypto). */
export function classifyBearerToken(token: string): BearerKind {
  if (token.length > MAX_BEARER_CHARS) return 'unknown';
  // Sessions check their own shape and signature (domain/sessions.ts), with precise reasons.
  if (token.startsWith('pst_')) return 'session';
  if (token.startsWith('pk_')) return API_KEY_SHAPE.test(token) ? 'api_key' : 'unknown';
  return JWT_SHAPE.test(token) ? 'jwt' : 'unknown';
}

/** The credential in an Authorization header; throws 'missing' or 'malformed'. */
export function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === '') throw new AuthenticationError('missing');
  const match = /^Bearer +(\S+) *$/i.exec(authorization);
  const token = match?.[1];
  if (token === undefined || token.length > MAX_BEARER_CHARS) {
    throw new AuthenticationError('malformed', { detail: 'Send the credential as Authorization: Bearer <token>.' });
  }
  return token;
}
