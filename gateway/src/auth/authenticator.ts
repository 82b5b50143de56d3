import type { IncomingHttpHeaders } from 'node:http';
import {
  AuthenticationError,
  bearerToken,
  classifyBearerToken,
  principalFromApiKey,
  type ApiKeyStore,
  type BootstrapAdmin,
  type OidcVerifier,
  type Principal,
} from '../identity/index.js';
import type { Session, SessionService } from '../domain/sessions.js';

/** The credential type of an authentication, a bounded metric label; 'none' when nothing recognizable was sent. */
export const AUTH_METHODS = ['session', 'api_key', 'oidc', 'none'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** The method of a successful authentication: the bootstrap admin key is an API key. */
export function authMethodOf(principal: Principal): AuthMethod {
  return principal.kind === 'bootstrap_admin' ? 'api_key' : principal.kind;
}

/** The method a failed authentication attempted, from the credential's shape alone (as the authenticator dispatches). */
export function attemptedAuthMethod(authorization: string | undefined): AuthMethod {
  let token: string;
  try {
    token = bearerToken(authorization);
  } catch {
    return 'none';
  }
  const kind = classifyBearerToken(token);
  return kind === 'jwt' ? 'oidc' : kind === 'unknown' ? 'none' : kind;
}

export interface Authenticated {
  principal: Principal;
  /** Set for UI sessions: language and the token (to revoke it on DELETE). */
  session?: { session: Session; token: string };
}

export interface AuthenticatorDeps {
  sessions: SessionService;
  apiKeys: ApiKeyStore;
  bootstrapAdmin: BootstrapAdmin;
  oidc?: OidcVerifier | undefined;
}

/** Resolves `Authorization: Bearer …` to a principal: session, API key, bootstrap admin or OIDC token. */
export function createAuthenticator(deps: AuthenticatorDeps) {
  return {
    async authenticate(headers: IncomingHttpHeaders): Promise<Authenticated> {
      const token = bearerToken(headers.authorization);
      const admin = deps.bootstrapAdmin.authenticate(token);
      if (admin) return { principal: admin };
      switch (classifyBearerToken(token)) {
        case 'session': {
          const session = await deps.sessions.authenticate(token);
          return { principal: { kind: 'session', id: session.id, role: 'user' }, session: { session, token } };
        }
        case 'api_key':
          return { principal: principalFromApiKey(await deps.apiKeys.authenticate(token)) };
        case 'jwt':
          if (!deps.oidc) throw new AuthenticationError('unknown', { detail: 'Bearer tokens from an identity provider are not enabled here.' });
          return { principal: await deps.oidc.verify(token) };
        default:
          throw new AuthenticationError('malformed');
      }
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
