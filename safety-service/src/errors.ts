import { AppError } from '@parley/platform';

/** `text` is longer than MAX_TEXT_CHARS: callers split long texts rather than send them whole. */
export class TextTooLongError extends AppError {
  readonly status = 413;
  readonly code = 'text_too_long';
  readonly title = 'Text too long';
}
