import { createHash } from 'node:crypto';
import { BreakerOpenError, createBreakers, type BreakerState, type Logger, type Metrics } from '@parley/platform';
import { Counter, Histogram } from 'prom-client';
import { ClassifierCallError, type ClassifierScore, type ModerationClassifier } from '../domain/classifier.js';

type Registry = Metrics['registry'];

/** The breaker's name: in logs and in parley_circuit_breaker_state{breaker}. */
export const CLASSIFIER_BREAKER = 'safety-classifier';

export const CLASSIFIER_OUTCOMES = ['ok', 'cached', 'timeout', 'error', 'rejected', 'breaker_open', 'cancelled'] as const;
export type ClassifierOutcome = (typeof CLASSIFIER_OUTCOMES)[number];


export interface ClassifierBreakerOptions {
  /** Failure share (%) over the rolling window above which the breaker opens. */
  errorThresholdPercentage: number;
  /** Calls in the rolling window before the failure share counts at all. */
  volumeThreshold: number;
  /** How long an open breaker skips the classifier before one trial call (half-open). */
  resetTimeoutMs: number;
  rollingWindowMs: number;
}

export const DEFAULT_CLASSIFIER_BREAKER: ClassifierBreakerOptions = {
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  resetTimeoutMs: 30_000,
  rollingWindowMs: 10_000,
};

export interface GuardedClassifierOptions {
  classifier: ModerationClassifier;
  /** Per-call deadline (SAFETY_CLASSIFIER_TIMEOUT_MS), an AbortSignal of its own for every call. */
  timeoutMs: number;
  /** Bounded cache of answers per SHA-256 of the text; size 0 turns it off. */
  cache: { size: number; ttlMs: number };
  breaker?: Partial<ClassifierBreakerOptions>;
  registry: Registry;
  logger: Logger;
  /** Kind label of the breaker metric (the upstream's kind). */
  kind?: string;
  now?: () => number;
}

/** The classifier as /v1/moderate uses it: never rejects, so a failure can only leave the engine's decision. */
export interface GuardedClassifier {
  /** The scores, or undefined when the classifier could not answer (logged and counted). */
  classify(text: string, signal: AbortSignal): Promise<ClassifierScore[] | undefined>;
  breakerState(): BreakerState;
  shutdown(): void;
}

/** 4xx other than 408/429 are our request's fault, and a caller's cancellation is nobody's: neither counts against the upstream. */
export function isClassifierFailure(err: unknown): boolean {
  if (err instanceof ClassifierCallError && err.kind === 'http' && err.status !== undefined) {
    return !(err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429);
  }
  if (err instanceof CallerCancelledError) return false;
  return true;
}

class CallerCancelledError extends Error {
  constructor() {
    super('The caller went away.');
    this.name = 'CallerCancelledError';
  }
}

function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/**
 * Wraps a ModerationClassifier with a cache, a per-call timeout and its own opossum breaker
 * (`safety-classifier`): one slow or failing provider costs at most the timeout per request,
 * and nothing once the breaker is open.
 */
export function createGuardedClassifier(options: GuardedClassifierOptions): GuardedClassifier {
  const now = options.now ?? Date.now;
  const kind = options.kind ?? 'classifier';
  const breakerOptions = { ...DEFAULT_CLASSIFIER_BREAKER, ...options.breaker };
  const log = options.logger.child({ component: 'classifier' });
  const { registry } = options;

  const calls = getOrCreate(
    registry,
    'parley_safety_classifier_calls_total',
    () =>
      new Counter<'outcome'>({
        name: 'parley_safety_classifier_calls_total',
        help: 'Model classifier consultations by outcome: ok, cached, timeout, error, rejected (4xx), breaker_open, cancelled.',
        labelNames: ['outcome'],
        registers: [registry],
      }),
  );
  const duration = getOrCreate(
    registry,
    'parley_safety_classifier_duration_seconds',
    () =>
      new Histogram<'outcome'>({
        name: 'parley_safety_classifier_duration_seconds',
        help: 'Time spent on model classifier calls that reached the upstream, by outcome.',
        labelNames: ['outcome'],
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.8, 1, 2.5, 5],
        registers: [registry],
      }),
  );
  for (const outcome of CLASSIFIER_OUTCOMES) calls.inc({ outcome }, 0);

  // The platform's breakers (as chat-service's): per-call signals, minimum volume, a real
  // half-open trial, parley_circuit_breaker_state and transitions, open/close logs.
  const breakers = createBreakers({ options: breakerOptions, registry, logger: log, isFailure: isClassifierFailure, now });
  const breaker = breakers.get(CLASSIFIER_BREAKER, kind);
  const state = (): BreakerState => breaker.state();

  // Insertion order is recency: a hit moves its entry to the end, the oldest goes first.
  const cache = new Map<string, { scores: ClassifierScore[]; expiresAt: number }>();
  const cached = (key: string): ClassifierScore[] | undefined => {
    const entry = cache.get(key);
    if (!entry) return undefined;
    cache.delete(key);
    if (entry.expiresAt <= now()) return undefined;
    cache.set(key, entry);
    return entry.scores;
  };
  const remember = (key: string, scores: ClassifierScore[]): void => {
    if (options.cache.size <= 0 || options.cache.ttlMs <= 0) return;
    cache.delete(key);
    cache.set(key, { scores, expiresAt: now() + options.cache.ttlMs });
    while (cache.size > options.cache.size) {
      const oldest = cache.keys().next();
      if (oldest.done) break;
      cache.delete(oldest.value);
    }
  };

  const call = async (text: string, caller: AbortSignal): Promise<ClassifierScore[]> => {
    const deadline = AbortSignal.timeout(options.timeoutMs);
    try {
      return await options.classifier.classify(text, AbortSignal.any([caller, deadline]));
    } catch (err) {
      if (caller.aborted) throw new CallerCancelledError();
      if (deadline.aborted) throw new ClassifierCallError(`The moderation classifier did not answer within ${options.timeoutMs} ms.`, { kind: 'timeout', cause: err });
      throw err;
    }
  };

  const outcomeOf = (err: unknown): ClassifierOutcome => {
    if (err instanceof BreakerOpenError) return 'breaker_open';
    if (err instanceof CallerCancelledError) return 'cancelled';
    if (err instanceof ClassifierCallError && err.kind === 'timeout') return 'timeout';
    return isClassifierFailure(err) ? 'error' : 'rejected';
  };

  return {
    async classify(text, signal) {
      const key = createHash('sha256').update(text).digest('hex');
      const hit = cached(key);
      if (hit) {
        calls.inc({ outcome: 'cached' });
        return hit;
      }
      const started = performance.now();
      try {
        const scores = await breaker.run(() => call(text, signal));
        calls.inc({ outcome: 'ok' });
        duration.observe({ outcome: 'ok' }, (performance.now() - started) / 1000);
        remember(key, scores);
        return scores;
      } catch (err) {
        const outcome = outcomeOf(err);
        calls.inc({ outcome });
        if (outcome === 'breaker_open') {
          // Logged once when it opens; per request it is only counted.
          return undefined;
        }
        duration.observe({ outcome }, (performance.now() - started) / 1000);
        if (outcome !== 'cancelled') {
          const status = err instanceof ClassifierCallError ? err.status : undefined;
          // The error's message names the failure; never the text.
          log.warn({ outcome, ...(status === undefined ? {} : { status }), err, breaker_state: state() }, 'classifier failed: the deterministic decision stands');
        }
        return undefined;
      }
    },
    breakerState: state,
    shutdown: () => breakers.shutdown(),
  };
}
