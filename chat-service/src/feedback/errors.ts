import { AppError } from '@parley/platform';

/** Feedback is switched off (FEEDBACK_ENABLED=false). */
export class FeedbackDisabledError extends AppError {
  readonly status = 404;
  readonly code = 'feedback_disabled';
  readonly title = 'Not found';
}

/** The rated message is not an assistant reply in the caller's history. */
export class MessageNotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'message_not_found';
  readonly title = 'Not found';
}
