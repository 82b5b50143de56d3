import CircuitBreaker from 'opossum';
import { Counter, Gauge } from 'prom-client';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export type BreakerState = 'closed' | 'open' | 'half_open';
const STATES: readonly BreakerState[] = ['closed', 'open', 'half_open'];

export interface BreakerOptions {
  /** Failure share (%) over the rolling window above which the breaker opens. */
  errorThresholdPercentage: number;
  /** Calls in the rolling window before the failure share counts at all. */
  volumeThreshold: number;
  /** How long an open breaker sheds calls before it lets one trial call through (half-open). */
  resetTimeoutMs: number;
  rollingWindowMs: number;
}

/** A call shed because its breaker is open (or half-open with its one trial call in flight). */
export class BreakerOpenError extends Error {
  constructor(
    readonly breaker: string,
    /** When the breaker will let a trial call through. */
    readonly retryAfterMs: number,
  ) {
    super(`The circuit breaker ${breaker} is open.`);
    this.name = 'BreakerOpenError';
  }
}

export interface BreakerSnapshot {
  name: string;
  kind: string;
  state: BreakerState;
  /** Rolling-window counts. */
  window: { calls: number; failures: number; rejects: number; timeouts: number };
  /** For an open breaker: when it lets a trial call through (ISO time). */
  retry_at: string | null;
  last_transition_at: string | null;
}

export interface Breaker {
  readonly name: string;
  /**
   * Runs `task` under the breaker. The task gets no signal from the breaker: every call
   * brings its own AbortSignal (never opossum's shared controller). Rejects at once with
   * BreakerOpenError while the breaker is open.
   */
  run<T>(task: () => Promise<T>): Promise<T>;
  state(): BreakerState;
  /** Milliseconds until an open breaker lets a trial call through; 0 when not open. */
  retryInMs(): number;
}

export interface Breakers {
  /** The breaker for one upstream (created on first use). */
  get(name: string, kind: string): Breaker;
  snapshot(): BreakerSnapshot[];
  shutdown(): void;
}

export interface BreakersDeps {
  options: BreakerOptions;
  registry: Metrics["registry"];
  logger: Logger;
  /** Whether an error counts against the upstream (a request's own fault or a cancellation does not). */
  isFailure: (err: unknown) => boolean;
  now?: () => number;
}

/**
 * One opossum circuit breaker per upstream (LLM model/provider, safety-service), with a
 * minimum volume before tripping and opossum's real half-open state (one trial call; success
 * closes, failure reopens). States are exported as a metric and readable as a snapshot.
 */
export function createBreakers(deps: BreakersDeps): Breakers {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'breaker' });
  const entries = new Map<string, { breaker: Breaker; circuit: CircuitBreaker; kind: string; openedAt: number | undefined; lastTransition: number | undefined }>();

  new Gauge({
    name: 'parley_circuit_breaker_state',
    help: 'Circuit breaker state per upstream: 1 for the current state (closed, open, half_open), 0 for the others.',
    labelNames: ['breaker', 'kind', 'state'],
    registers: [deps.registry],
    collect() {
      for (const [name, entry] of entries) {
        const current = entry.breaker.state();
        for (const state of STATES) this.set({ breaker: name, kind: entry.kind, state }, state === current ? 1 : 0);
      }
    },
  });
  const transitions = new Counter({
    name: 'parley_circuit_breaker_transitions_total',
    help: 'Circuit breaker state changes per upstream, by the state entered.',
    labelNames: ['breaker', 'kind', 'state'],
    registers: [deps.registry],
  });

  function create(name: string, kind: string) {
    const circuit = new CircuitBreaker((task: () => Promise<unknown>) => task(), {
      name,
      // Timeouts are the caller's (per-attempt AbortSignals), not the breaker's.
      timeout: false,
      errorThresholdPercentage: deps.options.errorThresholdPercentage,
      volumeThreshold: deps.options.volumeThreshold,
      resetTimeout: deps.options.resetTimeoutMs,
      rollingCountTimeout: deps.options.rollingWindowMs,
      rollingCountBuckets: 10,
      errorFilter: (err: unknown) => !deps.isFailure(err),
    });
    const entry = {
      circuit,
      kind,
      openedAt: undefined as number | undefined,
      lastTransition: undefined as number | undefined,
      breaker: undefined as unknown as Breaker,
    };
    const transition = (state: BreakerState) => {
      entry.lastTransition = now();
      transitions.inc({ breaker: name, kind, state });
    };
    circuit.on('open', () => {
      entry.openedAt = now();
      transition('open');
      const stats = circuit.stats;
      log.warn({ breaker: name, kind, failures: stats.failures, calls: stats.fires, retry_in_ms: deps.options.resetTimeoutMs }, 'circuit breaker opened');
    });
    circuit.on('halfOpen', () => {
      transition('half_open');
      log.info({ breaker: name, kind }, 'circuit breaker half-open: letting one trial call through');
    });
    circuit.on('close', () => {
      entry.openedAt = undefined;
      transition('closed');
      log.info({ breaker: name, kind }, 'circuit breaker closed');
    });

    const retryInMs = () => (entry.openedAt === undefined ? 0 : Math.max(0, entry.openedAt + deps.options.resetTimeoutMs - now()));
    entry.breaker = {
      name,
      async run<T>(task: () => Promise<T>): Promise<T> {
        try {
          return (await circuit.fire(task)) as T;
        } catch (err) {
          if ((err as { code?: string }).code === 'EOPENBREAKER') throw new BreakerOpenError(name, Math.max(retryInMs(), 1_000));
          throw err;
        }
      },
      state: () => (circuit.halfOpen ? 'half_open' : circuit.opened ? 'open' : 'closed'),
      retryInMs,
    };
    entries.set(name, entry);
    return entry;
  }

  return {
    get(name, kind) {
      return (entries.get(name) ?? create(name, kind)).breaker;
    },
    snapshot() {
      return [...entries].map(([name, entry]) => {
        const stats = entry.circuit.stats;
        const state = entry.breaker.state();
        return {
          name,
          kind: entry.kind,
          state,
          window: { calls: stats.fires, failures: stats.failures, rejects: stats.rejects, timeouts: stats.timeouts },
          retry_at: state === 'open' ? new Date(now() + entry.breaker.retryInMs()).toISOString() : null,
          last_transition_at: entry.lastTransition === undefined ? null : new Date(entry.lastTransition).toISOString(),
        };
      });
    },
    shutdown() {
      for (const entry of entries.values()) entry.circuit.shutdown();
    },
  };
}
