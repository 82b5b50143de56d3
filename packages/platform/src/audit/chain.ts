import { createHash } from 'node:crypto';
import type { AuditRecord, AuditVerifyFailure } from './types.js';

/** prev_hash of the very first record. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** What a record's hash covers: everything but the store-assigned `id` and the hash itself. */
export type AuditContent = Omit<AuditRecord, 'id' | 'hash'>;

/** A stream entry as Redis returns it: id and flat field/value list. */
export interface StreamEntry {
  id: string;
  fields: string[];
}

/** JSON with object keys sorted (by UTF-16 code units) at every level and no whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
}

/** sha256hex(prev_hash + '\n' + canonicalJson(content)); content includes prev_hash itself. */
export function computeAuditHash(content: AuditContent | Record<string, unknown>): string {
  const prev = typeof content.prev_hash === 'string' ? content.prev_hash : '';
  return createHash('sha256').update(`${prev}\n${canonicalJson(content)}`).digest('hex');
}

/** Field order in the stream: readable with `redis-cli XRANGE`; details as JSON. */
const FIELD_ORDER = ['time', 'type', 'outcome', 'principal_kind', 'principal', 'reason', 'client_ip', 'trace_id', 'details', 'prev_hash'] as const;

export function encodeFields(content: AuditContent, hash: string): string[] {
  const fields: string[] = [];
  for (const name of FIELD_ORDER) {
    const value = content[name];
    if (value === undefined) continue;
    fields.push(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
  fields.push('hash', hash);
  return fields;
}

export interface DecodedEntry {
  id: string;
  /** Every stored field but `hash` (details parsed): exactly what the hash must cover. */
  content: Record<string, unknown>;
  hash: string | undefined;
  /** Null when the entry does not have the shape of a record (it was tampered with or written by something else). */
  record: AuditRecord | null;
}

export function decodeEntry(entry: StreamEntry): DecodedEntry {
  const content: Record<string, unknown> = {};
  let hash: string | undefined;
  let wellFormed = entry.fields.length % 2 === 0;
  for (let i = 0; i + 1 < entry.fields.length; i += 2) {
    const name = entry.fields[i] as string;
    const raw = entry.fields[i + 1] as string;
    if (name === 'hash') {
      if (hash !== undefined) wellFormed = false;
      hash = raw;
      continue;
    }
    if (Object.hasOwn(content, name)) wellFormed = false;
    content[name] = name === 'details' ? parseDetails(raw) : raw;
  }
  return { id: entry.id, content, hash, record: wellFormed && hash !== undefined ? toRecord(entry.id, content, hash) : null };
}

function parseDetails(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw; // kept as text: the recomputed hash will not match
  }
}

const REQUIRED = ['time', 'type', 'outcome', 'principal_kind', 'principal', 'prev_hash'] as const;
const OPTIONAL = ['reason', 'client_ip', 'trace_id'] as const;

function toRecord(id: string, content: Record<string, unknown>, hash: string): AuditRecord | null {
  for (const name of REQUIRED) if (typeof content[name] !== 'string') return null;
  for (const name of OPTIONAL) if (content[name] !== undefined && typeof content[name] !== 'string') return null;
  const details = content['details'];
  if (details !== undefined && (typeof details !== 'object' || details === null || Array.isArray(details))) return null;
  // The checks above establish the shape; the cast only names it.
  const c = content as unknown as AuditContent;
  return {
    id,
    time: c.time,
    type: c.type,
    outcome: c.outcome,
    principal_kind: c.principal_kind,
    principal: c.principal,
    ...(c.reason !== undefined ? { reason: c.reason } : {}),
    ...(c.client_ip !== undefined ? { client_ip: c.client_ip } : {}),
    ...(c.trace_id !== undefined ? { trace_id: c.trace_id } : {}),
    ...(c.details !== undefined ? { details: c.details } : {}),
    prev_hash: c.prev_hash,
    hash,
  };
}

/**
 * Checks one entry against the hash the chain expects before it. Content first, so an
 * edited record reads as hash_mismatch; a record whose own hash holds but whose
 * prev_hash points elsewhere means records around it are missing or reordered.
 */
export function checkLink(entry: DecodedEntry, expectedPrev: string): AuditVerifyFailure | null {
  if (entry.hash === undefined || entry.record === null) return 'hash_mismatch';
  let recomputed: string;
  try {
    recomputed = computeAuditHash(entry.content);
  } catch {
    return 'hash_mismatch';
  }
  if (recomputed !== entry.hash) return 'hash_mismatch';
  if (entry.content['prev_hash'] !== expectedPrev) return 'chain_break';
  return null;
}
