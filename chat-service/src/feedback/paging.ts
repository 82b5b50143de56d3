import type { FeedbackEntry, FeedbackPage, FeedbackQuery } from './types.js';

/**
 * Admin reads page through the stream newest first. Both stores share this loop; each
 * supplies a reverse range read in XREVRANGE syntax (upper bound '+', 'id' or '(id';
 * lower bound '-' or 'id'); an entry it cannot read is null (skipped, but it still counts
 * towards the batch, so a short batch reliably means the end).
 */
export type ReverseRange = (upper: string, lower: string, count: number) => Promise<{ id: string; entry: FeedbackEntry | null }[]>;

/** Entries read per round trip when a rating filter skips some. */
const FILTER_BATCH = 200;
/** A filtered read stops after this many entries and hands back a cursor to continue. */
const SCAN_BUDGET = 10_000;

const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;
const U64_MAX = (1n << 64n) - 1n;

type Id = readonly [bigint, bigint];

function parseId(id: string): Id | null {
  const m = STREAM_ID.exec(id);
  if (!m) return null;
  const parsed = [BigInt(m[1] as string), BigInt(m[2] as string)] as const;
  return parsed[0] > U64_MAX || parsed[1] > U64_MAX ? null : parsed;
}

/** A Redis stream id, as handed out in `next_cursor`. */
export function isStreamId(value: string): boolean {
  return parseId(value) !== null;
}

export function compareIds(a: string, b: string): number {
  const x = parseId(a) ?? [0n, 0n];
  const y = parseId(b) ?? [0n, 0n];
  if (x[0] !== y[0]) return x[0] < y[0] ? -1 : 1;
  if (x[1] !== y[1]) return x[1] < y[1] ? -1 : 1;
  return 0;
}

export const idTime = (id: string): number => Number(parseId(id)?.[0] ?? 0n);

/** Whether `id` lies within XREVRANGE bounds (for the in-memory twin). */
export function withinBounds(id: string, upper: string, lower: string): boolean {
  if (upper !== '+') {
    const exclusive = upper.startsWith('(');
    const c = compareIds(id, exclusive ? upper.slice(1) : upper);
    if (exclusive ? c >= 0 : c > 0) return false;
  }
  return lower === '-' || compareIds(id, lower) >= 0;
}

export async function pageNewestFirst(range: ReverseRange, q: FeedbackQuery): Promise<FeedbackPage> {
  const empty: FeedbackPage = { feedback: [], next_cursor: null };
  let upper = '+';
  if (q.until) {
    const untilMs = q.until.getTime();
    if (untilMs <= 0) return empty;
    upper = `(${untilMs}-0`;
  }
  // A cursor narrows the range, never widens it.
  if (q.cursor && (upper === '+' || compareIds(q.cursor, upper.slice(1)) < 0)) upper = `(${q.cursor}`;
  const lower = q.since && q.since.getTime() > 0 ? `${q.since.getTime()}-0` : '-';

  const out: FeedbackEntry[] = [];
  let scanned = 0;
  for (;;) {
    const want = q.rating ? FILTER_BATCH : q.limit + 1 - out.length;
    const batch = await range(upper, lower, want);
    for (const { entry } of batch) {
      scanned++;
      if (!entry || (q.rating && entry.rating !== q.rating)) continue;
      // One match beyond the page: there is a next page, starting after the page's last entry.
      if (out.length === q.limit) return { feedback: out, next_cursor: out.at(-1)?.id ?? null };
      out.push(entry);
    }
    const last = batch.at(-1);
    if (!last || batch.length < want) return { feedback: out, next_cursor: null };
    if (scanned >= SCAN_BUDGET) return { feedback: out, next_cursor: last.id };
    upper = `(${last.id}`;
  }
}
