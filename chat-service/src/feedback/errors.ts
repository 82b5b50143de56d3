import { NotFoundError } from '@parley/platform';

/** Feedback is switched off (FEEDBACK_ENABLED=false). */
export class FeedbackDisabledError extends NotFoundError {
  override readonly code = 'feedback_disabled';
}

/** The rated message is not an assistant reply in the caller's history. */
export class MessageNotFoundError extends NotFoundError {
  override readonly code = 'message_not_found';
}
