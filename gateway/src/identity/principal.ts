export const ROLES = ['user', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export type PrincipalKind = 'session' | 'api_key' | 'oidc' | 'bootstrap_admin';

/** Who is acting. Every field is safe to log and to write to the audit trail. */
export interface Principal {
  kind: PrincipalKind;
  /** Pseudonymous: a session id, an API key id, an HMAC of the OIDC subject. Never a secret or a raw subject. */
  id: string;
  role: Role;
  /** The programmatic client (API key client, OIDC azp/client_id), when there is one. */
  client?: string;
  /** An operator-chosen label (the API key's name); never personal data from a token. */
  name?: string;
}

/** When one principal holds several roles, the most privileged one wins. */
export const ROLE_PRECEDENCE: readonly Role[] = ['admin', 'auditor', 'user'];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
