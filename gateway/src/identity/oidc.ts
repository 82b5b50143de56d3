import { createHmac } from 'node:crypto';
import { createRemoteJWKSet, errors as jose, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { classifyBearerToken } from './bearer.js';
import { AuthenticationError, IdentityUnavailableError, type AuthFailureReason } from './errors.js';
import { ROLE_PRECEDENCE, isRole, type Principal, type Role } from './principal.js';

export interface OidcOptions {
  /** The IdP's JWKS endpoint; https, or http on loopback only (tests, local IdPs). */
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** Pinned signature algorithms, default ['RS256']; only asymmetric ones are accepted. */
  algorithms?: string[] | undefined;
  /** Claim holding the role(s): a name ('roles', 'https://example.com/roles') or a dotted path ('realm_access.roles'). */
  roleClaim: string;
  /** Claim value -> role; values not listed grant nothing. */
  roleMap: Record<string, Role>;
  clockToleranceSeconds?: number | undefined;
  /** Keys the HMAC that turns `sub` into the principal id, so audit records never hold the raw subject. */
  subjectSecret: string;
  /** Minimum time between JWKS refetches triggered by an unknown kid (default 30). */
  jwksCooldownSeconds?: number | undefined;
  /** How long a fetched JWKS is used before it is fetched again (default 600). */
  jwksCacheMaxAgeSeconds?: number | undefined;
  /** Timeout of one JWKS request (default 3000). */
  jwksTimeoutMs?: number | undefined;
  now?: (() => Date) | undefined;
}

export interface OidcVerifier {
  /** The principal for a valid token; throws AuthenticationError (401) or IdentityUnavailableError (503). */
  verify(token: string): Promise<Principal>;
}

/** Asymmetric only: an HMAC algorithm would let anyone holding the public key (everyone) sign tokens. */
const ASYMMETRIC_ALGORITHMS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);
const MIN_SUBJECT_SECRET_CHARS = 16;
const PSEUDONYM_HEX_CHARS = 32;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

function checkOptions(options: OidcOptions): { url: URL; algorithms: string[] } {
  const url = new URL(options.jwksUrl);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    throw new TypeError('The OIDC JWKS URL must use https (http is accepted on loopback only).');
  }
  const algorithms = options.algorithms ?? ['RS256'];
  if (algorithms.length === 0) throw new TypeError('Pin at least one OIDC signature algorithm.');
  for (const alg of algorithms) {
    if (!ASYMMETRIC_ALGORITHMS.has(alg)) throw new TypeError(`OIDC signature algorithm ${alg} is not accepted; use an asymmetric one such as RS256 or ES256.`);
  }
  if (options.subjectSecret.length < MIN_SUBJECT_SECRET_CHARS) {
    throw new TypeError(`The OIDC subject secret must be at least ${MIN_SUBJECT_SECRET_CHARS} characters.`);
  }
  if (!options.issuer || !options.audience || !options.roleClaim) throw new TypeError('OIDC issuer, audience and role claim are required.');
  for (const [value, role] of Object.entries(options.roleMap)) {
    if (!isRole(role)) throw new TypeError(`OIDC role map: ${value} maps to unknown role ${String(role)}.`);
  }
  return { url, algorithms };
}

/** The claim by its exact name first (namespaced claims are URLs full of dots), then as a dotted path. */
function claimAt(payload: JWTPayload, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  let node: unknown = payload;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function roleFrom(claim: unknown, roleMap: Record<string, Role>): Role | undefined {
  const values = typeof claim === 'string' ? [claim] : Array.isArray(claim) ? claim.filter((v): v is string => typeof v === 'string') : [];
  // Own properties only: a claim value like "constructor" must not reach Object.prototype.
  const granted = new Set(values.filter((v) => Object.hasOwn(roleMap, v)).map((v) => roleMap[v]));
  return ROLE_PRECEDENCE.find((role) => granted.has(role));
}

type Rejection = Exclude<AuthFailureReason, 'unavailable' | 'missing' | 'unknown' | 'revoked' | 'no_role'>;

/** jose's errors to our reasons, in one place. */
function reasonFor(err: unknown): Rejection {
  if (err instanceof jose.JWTExpired) return 'expired';
  if (err instanceof jose.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'aud':
        return 'wrong_audience';
      case 'iss':
        return 'wrong_issuer';
      case 'nbf':
        return 'expired'; // not valid yet: outside its validity window all the same
      default:
        return 'malformed'; // a required claim (exp, sub) missing or of the wrong type
    }
  }
  if (err instanceof jose.JOSEAlgNotAllowed || err instanceof jose.JOSENotSupported) return 'bad_algorithm';
  if (
    err instanceof jose.JWSSignatureVerificationFailed ||
    err instanceof jose.JWKSNoMatchingKey ||
    err instanceof jose.JWKSMultipleMatchingKeys
  ) {
    return 'bad_signature';
  }
  return 'malformed';
}

/**
 * Verifies access tokens from an OIDC provider against its JWKS: pinned
 * algorithms, issuer, audience and expiry, then maps a role claim to a Parley role.
 * An unknown kid refetches the JWKS (at most once per cooldown), so key rotation at the IdP just works.
 */
export function createOidcVerifier(options: OidcOptions): OidcVerifier {
  const { url, algorithms } = checkOptions(options);
  const remote = createRemoteJWKSet(url, {
    cooldownDuration: (options.jwksCooldownSeconds ?? 30) * 1000,
    cacheMaxAge: (options.jwksCacheMaxAgeSeconds ?? 600) * 1000,
    timeoutDuration: options.jwksTimeoutMs ?? 3000,
  });
  // Everything the key lookup throws except "no such key" is the IdP's JWKS being unreachable or unusable: a 503, not the caller's fault.
  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (err) {
      if (err instanceof jose.JWKSNoMatchingKey || err instanceof jose.JWKSMultipleMatchingKeys || err instanceof jose.JOSENotSupported) throw err;
      throw new IdentityUnavailableError('The identity provider cannot be reached to check this token.', { cause: err });
    }
  };
  const pseudonym = (sub: string): string =>
    createHmac('sha256', options.subjectSecret).update(sub, 'utf8').digest('hex').slice(0, PSEUDONYM_HEX_CHARS);

  return {
    async verify(token) {
      if (classifyBearerToken(token) !== 'jwt') throw new AuthenticationError('malformed', { detail: 'The token is not a JWT.' });
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          algorithms,
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: options.clockToleranceSeconds ?? 30,
          requiredClaims: ['exp', 'sub'],
          ...(options.now ? { currentDate: options.now() } : {}),
        }));
      } catch (err) {
        if (err instanceof IdentityUnavailableError) throw err;
        throw new AuthenticationError(reasonFor(err), { cause: err });
      }
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new AuthenticationError('malformed', { detail: 'The token has no subject.' });
      const role = roleFrom(claimAt(payload, options.roleClaim), options.roleMap);
      if (!role) throw new AuthenticationError('no_role');
      const client = typeof payload['azp'] === 'string' ? payload['azp'] : typeof payload['client_id'] === 'string' ? payload['client_id'] : undefined;
      // Deliberately no name, email or raw sub: the principal is written to logs and the audit trail.
      return { kind: 'oidc', id: pseudonym(payload.sub), role, ...(client ? { client } : {}) };
    },
  };
}
