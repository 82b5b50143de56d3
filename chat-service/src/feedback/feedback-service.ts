import type { StoredMessage } from '../domain/ports.js';
import { MessageNotFoundError } from './errors.js';
import type { FeedbackEntry, FeedbackPage, FeedbackQuery, FeedbackStore, Rating } from './types.js';

export interface FeedbackInput {
  messageId: string;
  rating: Rating;
  comment: string | null;
}

/** Feedback as the session itself sees it in its export. */
export type ExportedFeedback = Pick<FeedbackEntry, 'message_id' | 'rating' | 'comment' | 'created_at'>;

/** What export and erasure of a session need from feedback. */
export interface SessionFeedback {
  export(sessionId: string): Promise<ExportedFeedback[]>;
  erase(sessionId: string): Promise<number>;
}

export interface FeedbackServiceDeps {
  store: FeedbackStore;
  /** The session's stored conversation, oldest first. */
  history(sessionId: string): Promise<StoredMessage[]>;
  now: () => Date;
  /** Called once a rating is stored (metrics). */
  onAccepted?: (rating: Rating) => void;
}

/** The feedback use case: ratings of assistant replies the session really received. */
export class FeedbackService implements SessionFeedback {
  constructor(private readonly deps: FeedbackServiceDeps) {}

  async submit(sessionId: string, input: FeedbackInput): Promise<{ entry: FeedbackEntry; replaced: boolean }> {
    const messages = await this.deps.history(sessionId);
    if (!messages.some((m) => m.id === input.messageId && m.role === 'assistant')) {
      throw new MessageNotFoundError('There is no assistant reply with this message_id in this session.');
    }
    const result = await this.deps.store.put({
      session_id: sessionId,
      message_id: input.messageId,
      rating: input.rating,
      comment: input.comment,
      created_at: this.deps.now().toISOString(),
    });
    this.deps.onAccepted?.(input.rating);
    return result;
  }

  list(query: FeedbackQuery): Promise<FeedbackPage> {
    return this.deps.store.list(query);
  }

  async export(sessionId: string): Promise<ExportedFeedback[]> {
    const entries = await this.deps.store.forSession(sessionId);
    return entries.map(({ message_id, rating, comment, created_at }) => ({ message_id, rating, comment, created_at }));
  }

  erase(sessionId: string): Promise<number> {
    return this.deps.store.erase(sessionId);
  }
}
