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
