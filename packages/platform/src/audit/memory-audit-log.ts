import { AUDIT_GENESIS_HASH, type StreamEntry } from './chain.js';
import { createChainedAuditLog, type AuditAnchor, type ChainStore } from './audit-log.js';
import { compareStreamIds, formatStreamId, parseRangeBound, parseStreamId, withinRange, type StreamId } from './stream-id.js';
import type { AuditLog, AuditLogOptions } from './types.js';

function fieldValue(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/**
 * A stream in memory with Redis's id rules (`<ms>-<seq>`, strictly increasing), taking
 * its milliseconds from `now` so retention can be tested with an injected clock.
 */
export function createMemoryChainStore(now: () => Date): ChainStore {
  const entries: { id: StreamId; text: string; fields: string[] }[] = [];
  let last: StreamId = [0n, 0n];
  let head: string | null = null;
  let anchor: AuditAnchor | null = null;

  const nextId = (): StreamId => {
    const ms = BigInt(now().getTime());
    last = ms > last[0] ? [ms, 0n] : [last[0], last[1] + 1n];
    return last;
  };

  const bound = (text: string) => {
    const parsed = parseRangeBound(text);
    if (!parsed) throw new TypeError(`invalid stream id bound: ${text}`);
    return parsed;
  };

  return {
    async compareAndAppend(expectedPrev, chained) {
      const current = head ?? AUDIT_GENESIS_HASH;
      // One process, appends serialised by the log: nobody to be fair to, so no turns.
      if (current !== expectedPrev) return { ok: false, head: current, yielded: false };
      const ids: string[] = [];
      for (const { hash, fields } of chained) {
        const id = nextId();
        entries.push({ id, text: formatStreamId(id), fields: [...fields] });
        ids.push(formatStreamId(id));
        head = hash;
      }
      return { ok: true, ids };
    },

    async range(start, end, count) {
      const lo = bound(start);
      const hi = bound(end);
      const out: StreamEntry[] = [];
      for (const e of entries) {
        if (out.length >= count) break;
        if (withinRange(e.id, lo, hi)) out.push({ id: e.text, fields: [...e.fields] });
      }
      return out;
    },

    async snapshot() {
      return { head, anchor: anchor && { ...anchor }, lastId: entries.at(-1)?.text ?? null };
    },

    async anchor() {
      return anchor && { ...anchor };
    },

    async trimBefore(minId, trimmedAt) {
      const min = parseStreamId(minId);
      if (!min) throw new TypeError(`invalid stream id: ${minId}`);
      const removed = entries.findIndex((e) => compareStreamIds(e.id, min) >= 0);
      const count = removed === -1 ? entries.length : removed;
      const lastRemoved = entries[count - 1];
      if (count === 0 || lastRemoved === undefined) return { removed: 0, anchor: null };
      anchor = { hash: fieldValue(lastRemoved.fields, 'hash') ?? '', id: lastRemoved.text, trimmed_at: trimmedAt };
      entries.splice(0, count);
      return { removed: count, anchor: { ...anchor } };
    },

    async ping() {},
  };
}

/**
 * The audit trail for the no-Redis demo mode and tests: same chain, verify, query and
 * trim semantics as the Redis one, but not durable (lost on restart) and not shared
 * between processes. Says so in the logs when created.
 */
export function createMemoryAuditLog(options: AuditLogOptions): AuditLog {
  const now = options.now ?? (() => new Date());
  options.logger.warn({ audit_store: 'memory' }, 'audit trail kept in memory: not durable and not shared between processes');
  return createChainedAuditLog(createMemoryChainStore(now), { ...options, now });
}
