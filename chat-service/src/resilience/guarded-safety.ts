import { Counter } from 'prom-client';
import { SafetyUnavailableError, BreakerOpenError, type Breaker, type Metrics } from '@parley/platform';
import type { SafetyClient } from '../domain/ports.js';

type Direction = 'input' | 'output';
const DIRECTIONS: readonly Direction[] = ['input', 'output'];

export interface GuardedSafetyOptions {
  /** Where chat_safety_fail_closed_total is registered (not counted without one). */
  registry?: Metrics['registry'] | undefined;
}

function failClosedCounter(registry: Metrics['registry']): Counter<'direction'> {
  const name = 'chat_safety_fail_closed_total';
  const existing = registry.getSingleMetric(name) as Counter<'direction'> | undefined;
  if (existing) return existing;
  const counter = new Counter<'direction'>({
    name,
    help: 'Chat requests refused, or streams stopped, because safety-service could not check the text (unreachable, failing, or its breaker open), by direction (input, output). Once per request, however many checks failed.',
    labelNames: ['direction'],
    registers: [registry],
  });
  for (const direction of DIRECTIONS) counter.inc({ direction }, 0);
  return counter;
}

/**
 * safety-service behind its breaker: while it is open, checks fail at once, closed (no output
 * is released unchecked). Every check that fails closed is counted once per request: the
 * request's AbortSignal identifies it, since a request runs several checks (one per user
 * message of a completion, one per streamed window) and the first failure refuses it.
 */
export function withBreaker(safety: SafetyClient, breaker: Breaker, options: GuardedSafetyOptions = {}): SafetyClient {
  const failedClosed = options.registry && failClosedCounter(options.registry);
  const counted: Record<Direction, WeakSet<AbortSignal>> = { input: new WeakSet(), output: new WeakSet() };
  const count = (direction: Direction, signal: AbortSignal): void => {
    // A request whose client already left was not refused by the outage.
    if (!failedClosed || signal.aborted || counted[direction].has(signal)) return;
    counted[direction].add(signal);
    failedClosed.inc({ direction });
  };

  return {
    async moderate(input, signal) {
      try {
        return await breaker.run(() => safety.moderate(input, signal));
      } catch (err) {
        if (err instanceof BreakerOpenError) {
          count(input.direction, signal);
          throw new SafetyUnavailableError('The safety check is unavailable (its circuit breaker is open).', {
            cause: err,
            retryAfterSeconds: Math.ceil(err.retryAfterMs / 1000),
          });
        }
        if (err instanceof SafetyUnavailableError) count(input.direction, signal);
        throw err;
      }
    },
  };
}
