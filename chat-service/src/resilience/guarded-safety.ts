import { SafetyUnavailableError, BreakerOpenError, type Breaker } from '@parley/platform';
import type { SafetyClient } from '../domain/ports.js';

/** safety-service behind its breaker: while it is open, checks fail at once, closed (no output is released unchecked). */
export function withBreaker(safety: SafetyClient, breaker: Breaker): SafetyClient {
  return {
    async moderate(input, signal) {
      try {
        return await breaker.run(() => safety.moderate(input, signal));
      } catch (err) {
        if (err instanceof BreakerOpenError) {
          throw new SafetyUnavailableError('The safety check is unavailable (its circuit breaker is open).', {
            cause: err,
            retryAfterSeconds: Math.ceil(err.retryAfterMs / 1000),
          });
        }
        throw err;
      }
    },
  };
}
