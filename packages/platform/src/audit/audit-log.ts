import { ServiceUnavailableError } from '../errors.js';
import { AUDIT_GENESIS_HASH, checkLink, computeAuditHash, decodeEntry, encodeFields, type AuditContent, type StreamEntry } from './chain.js';
import { createAuditMetrics } from './metrics.js';
import { auditTypeLabel, parseAuditEvent, parseAuditQuery } from './schema.js';
import type { AuditEvent, AuditLog, AuditLogOptions, AuditPage, AuditQuery, AuditRecord, AuditVerifyResult } from './types.js';

/** Where the chain was cut by trim(): the last removed record. */
export interface AuditAnchor {
  hash: string;
  id: string;
  trimmed_at: string;
}

/** One chained entry to append: its hash and its stream fields. */
export interface ChainedEntry {
  hash: string;
  fields: string[];
}

/** Not appended: the head moved (`yielded` false), or a writer that lost an earlier race goes first (`yielded` true). */
export type AppendAttempt = { ok: true; ids: string[] } | { ok: false; head: string; yielded: boolean };

/**
 * The storage a chained audit log needs: a stream with compare-and-append. Implemented by
 * Redis (Lua, atomic across processes) and by the in-memory twin; everything else
 * (validation, hashing, retries, verify, query, trim policy, logs, metrics) is shared.
 */
export interface ChainStore {
  /**
   * Appends the entries (already chained onto `expectedPrev`, in order) all or none: only if
   * the chain head still is `expectedPrev`; otherwise returns the current head.
   * `willRetry`: if not appended, claim the next turn (false on the last attempt: nobody would use it).
   */
  compareAndAppend(expectedPrev: string, entries: ChainedEntry[], willRetry: boolean): Promise<AppendAttempt>;
  /** XRANGE semantics: bounds '-', '+', an id, or '(' + id (exclusive). */
  range(start: string, end: string, count: number): Promise<StreamEntry[]>;
  /** Head, anchor and newest stream id, read atomically. */
  snapshot(): Promise<{ head: string | null; anchor: AuditAnchor | null; lastId: string | null }>;
  anchor(): Promise<AuditAnchor | null>;
  /** Removes entries with id < minId and records the last removed one as the anchor, atomically. */
  trimBefore(minId: string, trimmedAt: string): Promise<{ removed: number; anchor: AuditAnchor | null }>;
  ping(): Promise<void>;
}

const DAY_MS = 86_400_000;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Scanning for filtered queries stops after this many entries per returned match slot. */
const SCAN_FACTOR = 10;
/** A trim that runs while verify walks makes verify start over, this many times at most. */
const VERIFY_RESTARTS = 2;
/** Most records one compare-and-append carries. */
const MAX_BATCH = 100;

interface Pending {
  event: AuditEvent;
  time: string;
  resolve(record: AuditRecord): void;
  reject(err: unknown): void;
}

/** Chains the batch onto `prev`, in order; ids are filled in once the store assigned them. */
function chain(batch: Pending[], prev: string): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (const { event, time } of batch) {
    const content: AuditContent = { time, ...event, prev_hash: prev };
    const hash = computeAuditHash(content);
    const { prev_hash, ...rest } = content;
    records.push({ id: '', ...rest, prev_hash, hash });
    prev = hash;
  }
  return records;
}

export function createChainedAuditLog(store: ChainStore, options: AuditLogOptions): AuditLog {
  const logger = options.logger;
  const now = options.now ?? (() => new Date());
  const retentionDays = options.retentionDays ?? 180;
  if (!(retentionDays > 0)) throw new RangeError('audit: retentionDays must be positive');
  const pageSize = options.verifyPageSize ?? 1000;
  const maxAttempts = options.maxAppendAttempts ?? 100;
  if (!(Number.isInteger(pageSize) && pageSize > 0)) throw new RangeError('audit: verifyPageSize must be a positive integer');
  if (!(Number.isInteger(maxAttempts) && maxAttempts > 0)) throw new RangeError('audit: maxAppendAttempts must be a positive integer');
  const metrics = createAuditMetrics(options.registry);

  // Appends from this process are written by one flush loop, so the process never races
  // itself; races with other processes are settled by compare-and-append. Whatever arrives
  // while a write is in flight goes out together in the next one (group commit), which
  // keeps contention, and round trips per record, low under load.
  let pending: Pending[] = [];
  let flushing = false;
  let knownHead: string | null = null;

  const submit = (event: AuditEvent, time: string): Promise<AuditRecord> =>
    new Promise<AuditRecord>((resolve, reject) => {
      pending.push({ event, time, resolve, reject });
      if (!flushing) void flush();
    });

  async function flush(): Promise<void> {
    flushing = true;
    try {
      while (pending.length > 0) {
        const batch = pending.slice(0, MAX_BATCH);
        pending = pending.slice(batch.length);
        try {
          const records = await writeChained(batch);
          batch.forEach((p, i) => p.resolve(records[i] as AuditRecord));
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      flushing = false;
    }
  }

  async function writeChained(batch: Pending[]): Promise<AuditRecord[]> {
    let prev = knownHead ?? AUDIT_GENESIS_HASH;
    let yields = 0;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const records = chain(batch, prev);
      const entries = records.map(({ id: _id, hash, ...content }) => ({ hash, fields: encodeFields(content, hash) }));
      const result = await store.compareAndAppend(prev, entries, attempt < maxAttempts);
      if (result.ok) {
        knownHead = (records.at(-1) as AuditRecord).hash;
        return records.map((r, i) => ({ ...r, id: result.ids[i] as string }));
      }
      metrics.appendRetries.inc();
      prev = knownHead = result.head;
      // The writer holding the turn goes first: give it a moment instead of spinning on Redis.
      if (result.yielded) await delay(Math.min(2 ** yields++, 10));
    }
    throw new ServiceUnavailableError(`The audit chain head kept moving; gave up after ${maxAttempts} attempts.`);
  }

  async function walk(snapshot: Awaited<ReturnType<ChainStore['snapshot']>>): Promise<AuditVerifyResult> {
    let expected = snapshot.anchor?.hash ?? AUDIT_GENESIS_HASH;
    let checked = 0;
    if (snapshot.lastId !== null) {
      let start = '-';
      for (;;) {
        const page = await store.range(start, snapshot.lastId, pageSize);
        for (const entry of page) {
          const decoded = decodeEntry(entry);
          checked++;
          const failure = checkLink(decoded, expected);
          if (failure) return { ok: false, checked, broken_at: entry.id, reason: failure };
          expected = decoded.hash as string;
        }
        const last = page.at(-1);
        if (page.length < pageSize || last === undefined) break;
        start = `(${last.id}`;
      }
    }
    // Every record intact, but the chain must also end where the head says: otherwise the
    // newest records were removed (or the head key was touched).
    const fresh = snapshot.head === null && checked === 0 && snapshot.anchor === null;
    if (!fresh && expected !== snapshot.head) return { ok: false, checked, broken_at: null, reason: 'head_mismatch' };
    return { ok: true, checked, broken_at: null };
  }

  return {
    async append(event) {
      const started = performance.now();
      const type = auditTypeLabel((event as Partial<AuditEvent> | null)?.type);
      const fail = (err: unknown, fields: Record<string, unknown>, msg: string): never => {
        metrics.writes.inc({ type, outcome: 'error' });
        metrics.writeDuration.observe((performance.now() - started) / 1000);
        logger.error({ err, ...fields }, msg);
        throw err;
      };
      let valid: AuditEvent;
      try {
        valid = parseAuditEvent(event);
      } catch (err) {
        return fail(err, { audit_type: type }, 'audit event rejected');
      }
      const time = now().toISOString();
      try {
        const record = await submit(valid, time);
        metrics.writes.inc({ type, outcome: 'ok' });
        metrics.writeDuration.observe((performance.now() - started) / 1000);
        logger.info({ audit: record }, 'audit');
        return record;
      } catch (err) {
        return fail(err, { audit_event: { time, ...valid } }, 'audit write failed');
      }
    },

    async query(q: AuditQuery): Promise<AuditPage> {
      const p = parseAuditQuery(q);
      if (p.empty) return { records: [], next_cursor: null };
      const budget = p.limit * SCAN_FACTOR;
      const records: AuditRecord[] = [];
      let scanned = 0;
      let start = p.start;
      let lastScanned: string | null = null;
      while (scanned < budget) {
        // Unfiltered pages read just what is missing; filtered ones read ahead in bigger pages.
        const want = Math.min(budget - scanned, p.filtered ? Math.max(p.limit, 100) : p.limit - records.length);
        const page = await store.range(start, p.end, want);
        for (const entry of page) {
          scanned++;
          lastScanned = entry.id;
          const record = decodeEntry(entry).record;
          if (record === null) {
            logger.warn({ audit_id: entry.id }, 'audit entry is not a well-formed record; run verify');
            continue;
          }
          if (p.type !== undefined && record.type !== p.type) continue;
          if (p.principal !== undefined && record.principal !== p.principal) continue;
          if (p.trace_id !== undefined && record.trace_id !== p.trace_id) continue;
          records.push(record);
          if (records.length === p.limit) return { records, next_cursor: entry.id };
        }
        if (page.length < want || lastScanned === null) return { records, next_cursor: null };
        start = `(${lastScanned}`;
      }
      // Bounded work per call: hand back what matched so far and where to resume.
      return { records, next_cursor: lastScanned };
    },

    async verify() {
      for (let round = 0; ; round++) {
        const snapshot = await store.snapshot();
        const result = await walk(snapshot);
        if (!result.ok && round < VERIFY_RESTARTS) {
          const anchor = await store.anchor();
          // Records vanishing from the front because trim() ran meanwhile are not tampering.
          if (anchor !== null && anchor.id !== snapshot.anchor?.id) continue;
        }
        if (result.ok) logger.info({ audit_verify: result }, 'audit chain verified');
        else logger.error({ audit_verify: result }, 'audit chain verification failed');
        return result;
      }
    },

    async trim(at = now()) {
      const cutoff = at.getTime() - retentionDays * DAY_MS;
      if (!(cutoff > 0)) return 0;
      const { removed, anchor } = await store.trimBefore(`${cutoff}-0`, at.toISOString());
      if (removed > 0) {
        // The anchor also goes to the logs: a witness outside Redis for where the chain now starts.
        logger.info({ audit_trim: { removed, cutoff: new Date(cutoff).toISOString(), anchor } }, 'audit trimmed');
      }
      return removed;
    },

    ping: () => store.ping(),
  };
}
