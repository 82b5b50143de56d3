import type { Logger } from '@parley/platform';
import type { FeedbackStore } from './types.js';

/**
 * Writes trim old feedback as they go; this hourly trim keeps the retention promise while
 * nobody writes (e.g. feedback switched off). Idempotent, so every replica may run it.
 * Returns a function that stops it.
 */
export function startFeedbackRetention(store: FeedbackStore, logger: Logger, intervalMs = 3_600_000): () => void {
  const log = logger.child({ component: 'feedback' });
  const timer = setInterval(() => {
    store
      .trim()
      .then((removed) => {
        if (removed > 0) log.info({ feedback_removed: removed }, 'feedback past its retention removed');
      })
      .catch((err: unknown) => log.error({ err }, 'feedback trim failed'));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
