/**
 * The tamper-evident audit trail: a hash chain over a Redis stream (or its in-memory twin).
 * Security reviewers read it through the gateway's audit endpoints or with redis-cli.
 */
export { AUDIT_TYPES } from './types.js';
export type {
  AuditEvent,
  AuditLog,
  AuditLogOptions,
  AuditOutcome,
  AuditPage,
  AuditQuery,
  AuditRecord,
  AuditRegistry,
  AuditType,
  AuditVerifyFailure,
  AuditVerifyResult,
  PrincipalKind,
  RedisAuditLogOptions,
} from './types.js';
export { AUDIT_GENESIS_HASH, computeAuditHash, type AuditContent } from './chain.js';
export { auditEventSchema } from './schema.js';
export { createRedisAuditLog } from './redis-audit-log.js';
export { createMemoryAuditLog } from './memory-audit-log.js';
export { PSEUDONYM_LENGTH, pseudonymize, truncateIp, type TruncateIpOptions } from './privacy.js';
