import { ServiceUnavailableError, UnauthorizedError, type AppErrorOptions } from '@parley/platform';

/** Why authentication failed: a bounded set, used as a metric label and audit reason. */
export const AUTH_FAILURE_REASONS = [
  'missing',
  'malformed',
  'unknown',
  'revoked',
  'expired',
  'bad_signature',
  'wrong_audience',
  'wrong_issuer',
  'bad_algorithm',
  'no_role',
  'unavailable',
] as const;
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

/** Client-facing details: they never say whether an API key id exists (unknown and wrong secret read the same). */
const DETAILS: Record<Exclude<AuthFailureReason, 'unavailable'>, string> = {
  missing: 'Send a credential as Authorization: Bearer <token>.',
  malformed: 'The credential is malformed.',
  unknown: 'The credential is not valid.',
  revoked: 'The credential has been revoked.',
  expired: 'The credential has expired.',
  bad_signature: 'The token signature is not valid.',
  wrong_audience: 'The token was not issued for this service.',
  wrong_issuer: 'The token was not issued by a trusted identity provider.',
  bad_algorithm: 'The token is signed with an algorithm that is not accepted.',
  no_role: 'The token carries no role that grants access.',
};

/**
 * A 401 with a machine-readable reason. `reason` is meant for metrics and the
 * audit trail; the response shows only `detail` and the code 'unauthorized'.
 */
export class AuthenticationError extends UnauthorizedError {
  readonly reason: Exclude<AuthFailureReason, 'unavailable'>;
  /** The API key id, set only once the secret matched (revoked/expired), so attacker-chosen ids never reach logs. */
  readonly keyId: string | undefined;

  constructor(
    reason: Exclude<AuthFailureReason, 'unavailable'>,
    options: Omit<AppErrorOptions, 'detail'> & { detail?: string | undefined; keyId?: string | undefined } = {},
  ) {
    const { detail, keyId, ...rest } = options;
    super(detail ?? DETAILS[reason], rest);
    this.reason = reason;
    this.keyId = keyId;
  }
}

/**
 * The identity backend (API key store, the IdP's JWKS) cannot answer: a
 * retryable 503, not a 401, so clients do not discard a good credential.
 */
export class IdentityUnavailableError extends ServiceUnavailableError {
  override readonly code = 'identity_unavailable';
  readonly reason = 'unavailable' as const;

  constructor(detail: string, options: Omit<AppErrorOptions, 'detail'> = {}) {
    super(detail, { ...options, retryAfterSeconds: options.retryAfterSeconds ?? 2 });
  }
}

/** The failure reason of anything the identity module throws, for one metric label and audit field. */
export function authFailureReason(err: unknown): AuthFailureReason | undefined {
  if (err instanceof AuthenticationError || err instanceof IdentityUnavailableError) return err.reason;
  return undefined;
}
