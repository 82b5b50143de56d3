import type { OpenMetricsContentType, PrometheusContentType, Registry } from 'prom-client';
import type { Logger } from '../logger.js';

export type AuditOutcome = 'success' | 'failure' | 'denied' | 'rejected';
export type PrincipalKind = 'session' | 'api_key' | 'oidc' | 'bootstrap_admin' | 'service' | 'anonymous';

/** Known event types. Other lowercase dot-separated types are accepted too (the list is open). */
export const AUDIT_TYPES = [
  'auth.success',
  'auth.failure',
  'authz.denied',
  'ratelimit.rejected',
  'budget.rejected',
  'killswitch.changed',
  'apikey.created',
  'apikey.rotated',
  'apikey.revoked',
  'session.created',
  'session.revoked',
  'session.exported',
  'session.erased',
  'safety.blocked',
  'safety.redacted',
  'feedback.read',
] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

export interface AuditEvent {
  /** One of AUDIT_TYPES, or another lowercase dot-separated name. */
  type: string;
  /** Pseudonymous id (session id, key id, hashed subject); never a raw token or key. */
  principal: string;
  principal_kind: PrincipalKind;
  outcome: AuditOutcome;
  /** Short machine reason, e.g. 'expired', 'rate_limit:session'. */
  reason?: string;
  /** Already truncated by the caller (see truncateIp). */
  client_ip?: string;
  /** W3C trace id (32 lowercase hex). */
  trace_id?: string;
  /** Bounded key/values; never message text. */
  details?: Record<string, string | number | boolean>;
}

export interface AuditRecord extends AuditEvent {
  /** The Redis stream id (`<ms>-<seq>`), assigned by the store on append. Not covered by `hash`. */
  id: string;
  /** ISO time from the writer's clock. */
  time: string;
  prev_hash: string;
  /** sha256hex(prev_hash + '\n' + canonicalJson(record without id and hash)). */
  hash: string;
}

export interface AuditQuery {
  /** Inclusive lower bound on the record's stream id time. */
  from?: Date;
  /** Exclusive upper bound on the record's stream id time. */
  to?: Date;
  type?: string;
  principal?: string;
  trace_id?: string;
  /** Opaque: the `next_cursor` of the previous page. */
  cursor?: string;
  /** Default 100, clamped to 1..1000. */
  limit?: number;
}

export interface AuditPage {
  /** Oldest first. */
  records: AuditRecord[];
  /** Pass as `cursor` for the next page; null when the scan reached the end. */
  next_cursor: string | null;
}

export type AuditVerifyFailure =
  /** A record's content no longer matches its hash (it was edited). */
  | 'hash_mismatch'
  /** A record's prev_hash is not its predecessor's hash (records missing, inserted or reordered). */
  | 'chain_break'
  /** The newest records are gone or the head key was altered: no remaining record is broken. */
  | 'head_mismatch';

export interface AuditVerifyResult {
  ok: boolean;
  checked: number;
  /** Stream id of the first broken record; null when ok or on head_mismatch. */
  broken_at: string | null;
  reason?: AuditVerifyFailure;
}

export interface AuditLog {
  append(event: AuditEvent): Promise<AuditRecord>;
  query(q: AuditQuery): Promise<AuditPage>;
  verify(): Promise<AuditVerifyResult>;
  /** Drops records older than the retention period, keeping the chain verifiable (anchor). Returns how many were removed. */
  trim(now?: Date): Promise<number>;
  ping(): Promise<void>;
}

/** A prom-client registry of either exposition format (e.g. `Metrics['registry']`). */
export type AuditRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

export interface AuditLogOptions {
  logger: Logger;
  /** Where audit_* metrics are registered; unregistered when absent. */
  registry?: AuditRegistry;
  /** Records older than this many days are removed by trim(); default 180. */
  retentionDays?: number;
  /** The writer's clock: record `time` and the default `now` of trim(). */
  now?: () => Date;
  /** Stream entries per XRANGE page in verify(); default 1000. */
  verifyPageSize?: number;
  /** Compare-and-append round trips before append gives up under contention; default 100 (a busy writer costs others about two). */
  maxAppendAttempts?: number;
}

export interface RedisAuditLogOptions extends AuditLogOptions {
  /** Default 'parley:audit'; the head and anchor live at `<streamKey>:head` and `<streamKey>:anchor`. */
  streamKey?: string;
}
