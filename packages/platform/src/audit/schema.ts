import { isIP } from 'node:net';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { AUDIT_TYPES, type AuditEvent, type AuditQuery } from './types.js';
import { parseStreamId } from './stream-id.js';

/**
 * Shapes of credentials that must never land in the audit trail: session tokens,
 * API keys, provider keys, JWTs (base64url of '{"' starts with 'eyJ'), auth schemes.
 * Matched at the start of the value or after a separator, so 'session:pst_...' is caught too.
 */
const SECRET_PREFIX = /(?:^|[^A-Za-z0-9])(?:pst_|pk_|sk-|sk_|eyJ)/;
const AUTH_SCHEME = /^(?:bearer|basic)\s/i;

export function looksLikeSecret(value: string): boolean {
  return SECRET_PREFIX.test(value) || AUTH_SCHEME.test(value);
}

const notSecret = (what: string) => [(value: string) => !looksLikeSecret(value), `${what} looks like a credential; pass a pseudonymous id instead`] as const;

const TYPE_PATTERN = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$/;
const MAX_DETAILS = 16;

const detailValue = z.union([
  z.string().max(256).refine((v) => !looksLikeSecret(v), 'detail value looks like a credential'),
  z.number().refine(Number.isFinite, 'detail numbers must be finite'),
  z.boolean(),
]);

const clientIp = z
  .string()
  .max(64)
  .refine((v) => {
    if (v === 'unknown') return true;
    const [addr, bits, ...extra] = v.split('/');
    const family = isIP(addr ?? '');
    if (family === 0 || extra.length > 0) return false;
    if (bits === undefined) return true;
    const n = Number(bits);
    return /^\d{1,3}$/.test(bits) && n <= (family === 4 ? 32 : 128);
  }, 'client_ip must be an address or network (see truncateIp) or "unknown"');

export const auditEventSchema = z.strictObject({
  type: z.string().max(64).regex(TYPE_PATTERN, 'type must be lowercase and dot-separated, e.g. "auth.failure"'),
  principal: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'principal must be a pseudonymous id (letters, digits, _ . : -)')
    .refine(...notSecret('principal')),
  principal_kind: z.enum(['session', 'api_key', 'oidc', 'bootstrap_admin', 'service', 'anonymous']),
  outcome: z.enum(['success', 'failure', 'denied', 'rejected']),
  reason: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_.:/-]+$/, 'reason must be a short machine reason, e.g. "rate_limit:session"')
    .refine(...notSecret('reason'))
    .optional(),
  client_ip: clientIp.optional(),
  trace_id: z
    .string()
    .regex(/^[0-9a-f]{32}$/, 'trace_id must be 32 lowercase hex digits')
    .refine((v) => !/^0+$/.test(v), 'trace_id must not be all zeros')
    .optional(),
  details: z
    .record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'detail keys are snake_case'), detailValue)
    .refine((d) => Object.keys(d).length <= MAX_DETAILS, `at most ${MAX_DETAILS} details`)
    .optional(),
});

/** Validates an event; a bad event is a programming error in the caller, reported as ValidationError. */
export function parseAuditEvent(event: unknown): AuditEvent {
  const result = auditEventSchema.safeParse(event);
  if (!result.success) {
    // Issue paths and messages only: the rejected values may be the very secrets we refuse to store.
    const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new ValidationError(`Invalid audit event: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, {
      extensions: { issues },
    });
  }
  const e = result.data;
  // Rebuilt field by field so absent optionals stay absent (they are not part of the hash).
  return {
    type: e.type,
    principal: e.principal,
    principal_kind: e.principal_kind,
    outcome: e.outcome,
    ...(e.reason !== undefined ? { reason: e.reason } : {}),
    ...(e.client_ip !== undefined ? { client_ip: e.client_ip } : {}),
    ...(e.trace_id !== undefined ? { trace_id: e.trace_id } : {}),
    ...(e.details !== undefined ? { details: { ...e.details } } : {}),
  };
}

/** Bounded metric label for a type: known types as is, anything else 'other'. */
export function auditTypeLabel(type: unknown): string {
  return typeof type === 'string' && (AUDIT_TYPES as readonly string[]).includes(type) ? type : 'other';
}

export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_LIMIT = 1000;

export interface ParsedQuery {
  /** XRANGE start bound. */
  start: string;
  /** XRANGE end bound. */
  end: string;
  limit: number;
  type: string | undefined;
  principal: string | undefined;
  trace_id: string | undefined;
  /** True when records must be filtered while scanning. */
  filtered: boolean;
  /** True when the time range cannot hold any record. */
  empty: boolean;
}

/** Maps a query onto stream-id bounds; from is inclusive, to exclusive; a cursor resumes after its id. */
export function parseAuditQuery(q: AuditQuery): ParsedQuery {
  const fromMs = q.from === undefined ? undefined : timeOf(q.from, 'from');
  const toMs = q.to === undefined ? undefined : timeOf(q.to, 'to');
  let start = fromMs === undefined ? '-' : `${fromMs}-0`;
  if (q.cursor !== undefined) {
    const cursor = parseStreamId(q.cursor);
    if (!cursor) throw new ValidationError('Invalid audit cursor.');
    // A cursor before `from` (a caller changed the range) must not widen it.
    if (fromMs === undefined || cursor[0] >= BigInt(fromMs)) start = `(${q.cursor}`;
  }
  const end = toMs === undefined ? '+' : `(${toMs}-0`;
  const raw = q.limit ?? DEFAULT_QUERY_LIMIT;
  const limit = Number.isFinite(raw) ? Math.min(MAX_QUERY_LIMIT, Math.max(1, Math.floor(raw))) : DEFAULT_QUERY_LIMIT;
  return {
    start,
    end,
    limit,
    type: q.type,
    principal: q.principal,
    trace_id: q.trace_id,
    filtered: q.type !== undefined || q.principal !== undefined || q.trace_id !== undefined,
    empty: toMs !== undefined && (toMs === 0 || (fromMs !== undefined && fromMs >= toMs)),
  };
}

function timeOf(date: Date, name: string): number {
  const ms = date.getTime();
  if (!Number.isFinite(ms) || ms < 0) throw new ValidationError(`Invalid audit query: ${name} is not a valid time.`);
  return ms;
}
