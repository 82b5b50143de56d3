export { ROLES, ROLE_PRECEDENCE, isRole, type Principal, type PrincipalKind, type Role } from './principal.js';
export { AUTH_FAILURE_REASONS, AuthenticationError, IdentityUnavailableError, authFailureReason, type AuthFailureReason } from './errors.js';
export { MAX_BEARER_CHARS, bearerToken, classifyBearerToken, type BearerKind } from './bearer.js';
export {
  API_KEY_PREFIX,
  createApiKeyStore,
  principalFromApiKey,
  type ApiKeyBackend,
  type ApiKeyPatch,
  type ApiKeyRecord,
  type ApiKeyStore,
  type ApiKeyStoreOptions,
  type CreateApiKeyInput,
  type RotateApiKeyOptions,
  type StoredApiKey,
} from './api-keys.js';
export { createMemoryApiKeyStore } from './memory-api-key-store.js';
export { apiKeyRedisKeys, createRedisApiKeyStore } from './redis-api-key-store.js';
export { createBootstrapAdmin, type BootstrapAdmin } from './bootstrap-admin.js';
export { createOidcVerifier, type OidcOptions, type OidcVerifier } from './oidc.js';
