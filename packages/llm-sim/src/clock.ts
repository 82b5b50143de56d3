import { setTimeout as delay } from 'node:timers/promises';

/** Time as the simulator sees it; tests may pass a fake to make timing deterministic. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects (and clears its timer) as soon as `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }),
};

/** Resolves when `signal` aborts: how a hung request waits, with no timer to leak. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
