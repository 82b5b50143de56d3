/** Redis stream ids (`<ms>-<seq>`), as used for cursors, time ranges and the memory twin. */
const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;
const U64_MAX = (1n << 64n) - 1n;

export type StreamId = readonly [ms: bigint, seq: bigint];

export function parseStreamId(id: string): StreamId | null {
  const m = STREAM_ID.exec(id);
  if (!m) return null;
  const ms = BigInt(m[1] as string);
  const seq = BigInt(m[2] as string);
  return ms > U64_MAX || seq > U64_MAX ? null : [ms, seq];
}

export function compareStreamIds(a: StreamId, b: StreamId): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

export function formatStreamId(id: StreamId): string {
  return `${id[0]}-${id[1]}`;
}

/** Milliseconds part of a stream id, as a Date. */
export function streamIdTime(id: string): Date | null {
  const parsed = parseStreamId(id);
  return parsed ? new Date(Number(parsed[0])) : null;
}

/** A bound in XRANGE syntax: '-' / '+', an id, or '(' + id for an exclusive one. */
export interface RangeBound {
  id: StreamId;
  exclusive: boolean;
}

export function parseRangeBound(bound: string): RangeBound | null {
  if (bound === '-') return { id: [0n, 0n], exclusive: false };
  if (bound === '+') return { id: [U64_MAX, U64_MAX], exclusive: false };
  const exclusive = bound.startsWith('(');
  const id = parseStreamId(exclusive ? bound.slice(1) : bound);
  return id ? { id, exclusive } : null;
}

export function withinRange(id: StreamId, start: RangeBound, end: RangeBound): boolean {
  const lo = compareStreamIds(id, start.id);
  const hi = compareStreamIds(id, end.id);
  return (start.exclusive ? lo > 0 : lo >= 0) && (end.exclusive ? hi < 0 : hi <= 0);
}
