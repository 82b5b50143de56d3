import type { Logger, Metrics } from '@parley/platform';
import { Counter, Gauge } from 'prom-client';
import { faultFromRateKey, faultLabel, parseFaultSpec, type Fault, type ResolvedFault } from './faults.js';
import { settingsSchema, type SimSettings, type SimSettingsPatch } from './settings.js';
import { createPrng } from './text.js';

export const OUTCOMES = ['completed', 'fault', 'cancelled', 'rejected', 'error', 'shutdown'] as const;
/** How a chat completion ended: answered in full, failed on purpose, client went away, bad request... */
export type Outcome = (typeof OUTCOMES)[number];

export interface SimStats {
  /** Chat completion requests received (including rejected ones). */
  requests_total: number;
  outcomes: Record<Outcome, number>;
  streams_started: number;
  streams_completed: number;
  /** Injected faults by kind: `http_429`, `timeout`, `reset`, `stall`, `cut`. */
  faults_injected: Record<string, number>;
  /** Requests and streams whose client disconnected before the end. */
  cancellations: number;
  in_flight: number;
  tokens: { prompt: number; completion: number };
  /** When the counters started (start or last reset). */
  since: string;
}

export interface SimConfigView extends SimSettings {
  fail_next: { count: number; fault: string } | null;
}

export interface CreateSimulatorOptions {
  /** Settings at start and after a reset. */
  initial: SimSettings;
  metrics: Metrics;
  logger: Logger;
  /** Source of randomness for rate-drawn faults; a PRNG seeded with `settings.seed` by default. */
  random?: () => number;
  now?: () => number;
}

/** A pending `times=N` fault is remembered per conversation; this bounds that memory. */
const MAX_REMEMBERED = 10_000;

/**
 * The simulator's state: runtime settings, fault decisions and the counters behind
 * /_sim/stats and the llm_sim_* metrics. No I/O; routes call it.
 */
export class Simulator {
  private readonly initial: SimSettings;
  private current: SimSettings;
  private failNext: { count: number; spec: string; fault: Fault } | null = null;
  private readonly repeats = new Map<string, number>();
  private readonly injectedRandom: (() => number) | undefined;
  private random: () => number;
  private readonly now: () => number;
  private readonly logger: Logger;
  private counters: Omit<SimStats, 'in_flight' | 'since'> = emptyCounters();
  private inFlight = 0;
  private since: number;
  private readonly metrics: {
    requests: Counter<'outcome'>;
    cancellations: Counter;
    faults: Counter<'kind'>;
    tokens: Counter<'type'>;
    streams: Counter<'event'>;
    inFlight: Gauge;
  };

  constructor(options: CreateSimulatorOptions) {
    this.initial = settingsSchema.parse(options.initial);
    this.current = { ...this.initial };
    this.injectedRandom = options.random;
    this.random = options.random ?? createPrng(this.current.seed);
    this.now = options.now ?? Date.now;
    this.since = this.now();
    this.logger = options.logger.child({ component: 'simulator' });
    const registers = [options.metrics.registry];
    this.metrics = {
      requests: new Counter({
        name: 'llm_sim_requests_total',
        help: 'Chat completion requests by outcome (completed, fault, cancelled, rejected, error, shutdown).',
        labelNames: ['outcome'],
        registers,
      }),
      cancellations: new Counter({
        name: 'llm_sim_cancellations_total',
        help: 'Chat completions whose client disconnected before the end.',
        registers,
      }),
      faults: new Counter({
        name: 'llm_sim_faults_injected_total',
        help: 'Faults injected, by kind (http_<status>, timeout, reset, stall, cut).',
        labelNames: ['kind'],
        registers,
      }),
      tokens: new Counter({
        name: 'llm_sim_tokens_total',
        help: 'Tokens accounted in usage, by type (prompt, completion).',
        labelNames: ['type'],
        registers,
      }),
      streams: new Counter({
        name: 'llm_sim_streams_total',
        help: 'Streamed completions by event (started, completed).',
        labelNames: ['event'],
        registers,
      }),
      inFlight: new Gauge({
        name: 'llm_sim_in_flight_requests',
        help: 'Chat completions being answered right now.',
        registers,
      }),
    };
    for (const outcome of OUTCOMES) this.metrics.requests.inc({ outcome }, 0);
    this.metrics.cancellations.inc(0);
  }

  get settings(): SimSettings {
    return this.current;
  }

  view(): SimConfigView {
    return {
      ...this.current,
      fault_rates: { ...this.current.fault_rates },
      fail_next: this.failNext && { count: this.failNext.count, fault: this.failNext.spec },
    };
  }

  /** Applies a validated patch (see settingsPatchSchema); throws FaultSpecError for a bad fail_next fault. */
  configure(patch: SimSettingsPatch): SimConfigView {
    const { fail_next: failNext, ...settings } = patch;
    const next = settingsSchema.parse({ ...this.current, ...settings });
    if (failNext !== undefined) {
      this.failNext =
        failNext === null || failNext.count === 0
          ? null
          : { count: failNext.count, spec: failNext.fault, fault: parseFaultSpec(failNext.fault) };
    }
    if (settings.seed !== undefined && !this.injectedRandom) this.random = createPrng(next.seed);
    this.current = next;
    this.logger.info({ settings: this.view() }, 'simulator configured');
    return this.view();
  }

  /** Back to the start settings, no pending faults, counters at zero, PRNG reseeded. */
  reset(): SimConfigView {
    this.current = { ...this.initial, fault_rates: { ...this.initial.fault_rates } };
    this.failNext = null;
    this.repeats.clear();
    this.counters = emptyCounters();
    this.since = this.now();
    if (!this.injectedRandom) this.random = createPrng(this.current.seed);
    this.logger.info('simulator reset');
    return this.view();
  }

  stats(): SimStats {
    const c = this.counters;
    return {
      requests_total: c.requests_total,
      outcomes: { ...c.outcomes },
      streams_started: c.streams_started,
      streams_completed: c.streams_completed,
      faults_injected: { ...c.faults_injected },
      cancellations: c.cancellations,
      in_flight: this.inFlight,
      tokens: { ...c.tokens },
      since: new Date(this.since).toISOString(),
    };
  }

  /**
   * Which fault (if any) this request gets. A request's own fault wins (`none` opts out of
   * global faults; `times=N` applies to the first N requests of the same conversation), then
   * `fail_next`, then one draw against `fault_rates`.
   */
  chooseFault(requested: Fault | undefined, repeatKey: string): ResolvedFault | undefined {
    if (requested?.kind === 'none') return undefined;
    if (requested) {
      if (requested.times === undefined) return this.resolve(requested);
      const seen = this.repeats.get(repeatKey) ?? 0;
      if (seen < requested.times) {
        this.repeats.delete(repeatKey);
        this.repeats.set(repeatKey, seen + 1);
        if (this.repeats.size > MAX_REMEMBERED) {
          const oldest = this.repeats.keys().next();
          if (!oldest.done) this.repeats.delete(oldest.value);
        }
        return this.resolve(requested);
      }
    }
    if (this.failNext) {
      const fault = this.failNext.fault;
      this.failNext.count -= 1;
      if (this.failNext.count <= 0) this.failNext = null;
      return fault.kind === 'none' ? undefined : this.resolve(fault);
    }
    const rates = Object.entries(this.current.fault_rates).filter(([, rate]) => rate > 0);
    if (rates.length === 0) return undefined;
    const draw = this.random() * 100;
    let cumulative = 0;
    for (const [key, rate] of rates) {
      cumulative += rate;
      if (draw < cumulative) {
        const fault = faultFromRateKey(key);
        return fault.kind === 'none' ? undefined : this.resolve(fault);
      }
    }
    return undefined;
  }

  private resolve(fault: Exclude<Fault, { kind: 'none' }>): ResolvedFault {
    switch (fault.kind) {
      case 'status': {
        const throttling = fault.status === 429 || fault.status === 503;
        const retryAfterMs =
          fault.retryAfterMs ?? (throttling && fault.retryAfterSeconds === undefined ? this.current.retry_after_ms : undefined);
        return {
          kind: 'status',
          status: fault.status,
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
          ...(fault.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: fault.retryAfterSeconds }),
        };
      }
      case 'stall':
        return { kind: 'stall', after: fault.after ?? this.current.stall_after };
      case 'cut':
        return { kind: 'cut', after: fault.after ?? this.current.cut_after };
      default:
        return { kind: fault.kind };
    }
  }

  // Recording, called by the routes.

  requestStarted(): void {
    this.counters.requests_total += 1;
    this.inFlight += 1;
    this.metrics.inFlight.inc();
  }

  requestEnded(outcome: Outcome, cancelled: boolean): void {
    this.inFlight -= 1;
    this.metrics.inFlight.dec();
    this.counters.outcomes[outcome] += 1;
    this.metrics.requests.inc({ outcome });
    if (cancelled) {
      this.counters.cancellations += 1;
      this.metrics.cancellations.inc();
    }
  }

  faultInjected(fault: ResolvedFault): void {
    const kind = faultLabel(fault);
    this.counters.faults_injected[kind] = (this.counters.faults_injected[kind] ?? 0) + 1;
    this.metrics.faults.inc({ kind });
  }

  streamStarted(): void {
    this.counters.streams_started += 1;
    this.metrics.streams.inc({ event: 'started' });
  }

  streamCompleted(): void {
    this.counters.streams_completed += 1;
    this.metrics.streams.inc({ event: 'completed' });
  }

  tokensUsed(prompt: number, completion: number): void {
    this.counters.tokens.prompt += prompt;
    this.counters.tokens.completion += completion;
    this.metrics.tokens.inc({ type: 'prompt' }, prompt);
    this.metrics.tokens.inc({ type: 'completion' }, completion);
  }
}

function emptyCounters(): Omit<SimStats, 'in_flight' | 'since'> {
  return {
    requests_total: 0,
    outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>,
    streams_started: 0,
    streams_completed: 0,
    faults_injected: {},
    cancellations: 0,
    tokens: { prompt: 0, completion: 0 },
  };
}

export function createSimulator(options: CreateSimulatorOptions): Simulator {
  return new Simulator(options);
}
