/** Thumbs up/down on assistant replies: what the feedback use case needs from storage. */

export const RATINGS = ['up', 'down'] as const;
export type Rating = (typeof RATINGS)[number];

export interface FeedbackEntry {
  /** Stream id (`<ms>-<seq>`): arrival order and time, and the admin read's cursor. */
  id: string;
  session_id: string;
  message_id: string;
  rating: Rating;
  comment: string | null;
  created_at: string;
}

export type NewFeedback = Omit<FeedbackEntry, 'id'>;

export interface FeedbackQuery {
  /** Inclusive lower bound on the arrival time. */
  since?: Date;
  /** Exclusive upper bound on the arrival time. */
  until?: Date;
  rating?: Rating;
  /** The `next_cursor` of the previous page. */
  cursor?: string;
  limit: number;
}

export interface FeedbackPage {
  /** Newest first. */
  feedback: FeedbackEntry[];
  /** Pass as `cursor` for the next (older) page; null when there is nothing more. */
  next_cursor: string | null;
}

export interface FeedbackStore {
  /**
   * Stores a rating, one per message per session: a later rating replaces the earlier one.
   * Entries older than the retention period are trimmed on the way (never the new one).
   */
  put(feedback: NewFeedback): Promise<{ entry: FeedbackEntry; replaced: boolean }>;
  list(query: FeedbackQuery): Promise<FeedbackPage>;
  /** Everything kept for one session, oldest first. */
  forSession(sessionId: string): Promise<FeedbackEntry[]>;
  /** Deletes the session's feedback; resolves with how many entries were removed. */
  erase(sessionId: string): Promise<number>;
  /** Removes entries older than the retention period; resolves with how many. */
  trim(): Promise<number>;
  ping(): Promise<void>;
}

export interface FeedbackStoreOptions {
  retentionDays: number;
  /** Clock for retention (ms since the epoch). */
  now?: () => number;
}

export const retentionMs = (options: FeedbackStoreOptions): number => options.retentionDays * 86_400_000;
