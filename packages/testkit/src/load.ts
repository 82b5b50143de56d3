/**
 * A small load driver for chaos tests: requests at a steady rate (open loop: a slow answer
 * never delays the next request), each recorded as its client saw it. Plain fetch, no
 * dependency; streamed answers (text/event-stream) are read event by event.
 */

/** How a request ended for its client. */
export type Ending =
  /** A 2xx JSON answer, or a stream that ended with its end event (`event: done`, `data: [DONE]`). */
  | 'ok'
  /** A non-2xx answer. */
  | 'http_error'
  /** A stream that ended with a terminal error event (`event: error`, or an OpenAI `{"error":...}` data line). */
  | 'stream_error'
  /** A stream that ended, or broke, with neither its end event nor an error event: a silent truncation. */
  | 'truncated'
  /** No HTTP answer at all: connection refused or reset before the headers, or the client's own timeout. */
  | 'no_response';

export interface LoadSseEvent {
  event: string;
  /** The data lines joined with "\n", as sent. */
  data: string;
}

export interface RequestOutcome {
  /** Position in the schedule, from 0. */
  index: number;
  /** What `label(index)` said, e.g. "stream" or "json". */
  label: string;
  /** performance.now() when the request was sent and when its answer ended. */
  startedAt: number;
  endedAt: number;
  latencyMs: number;
  /** From sending to the response headers; undefined without an answer. */
  headersMs: number | undefined;
  /** HTTP status; 0 without an answer. */
  status: number;
  ending: Ending;
  /** The failure's machine code: problem `code`, OpenAI `error.code`, or the code of the stream's error event. */
  code: string | undefined;
  /** `retryable` of the stream's error event, when it has one. */
  retryable: boolean | undefined;
  retryAfter: string | null;
  /** `trace_id` of a JSON answer (problem or OpenAI envelope), when it carries one. */
  traceId: string | undefined;
  /** The parsed JSON answer (2xx or not); undefined for streams and bodies that are not JSON. */
  body: unknown;
  /** A stream's events (comments left out). */
  events: LoadSseEvent[];
  /** Why there was no answer or why a stream broke: the error code (ECONNREFUSED...) or message. */
  transportError: string | undefined;
}

export interface LoadOptions {
  /** Requests per second, evenly spaced. */
  ratePerSecond: number;
  /** How long to keep sending; the run ends when the last request sent has ended. */
  durationMs?: number;
  /** Or: how many requests to send (the first limit reached wins). */
  requests?: number;
  /** Sends request `index`, passing `signal` to fetch. */
  send(index: number, signal: AbortSignal): Promise<Response>;
  /** Names request `index` in its outcome (default "request"). */
  label?(index: number): string;
  /** The client gives up on a request after this long (default 60 s): recorded as `no_response` or `truncated`. */
  timeoutMs?: number;
}

export interface LoadRun {
  /** Outcomes of the requests that have ended so far, in the order they ended. */
  readonly outcomes: readonly RequestOutcome[];
  readonly sent: number;
  readonly inFlight: number;
  /** Resolves with every outcome once the schedule is over (or stopped) and every request has ended. */
  readonly done: Promise<RequestOutcome[]>;
  /** Sends nothing more; requests in flight run to their end. */
  stop(): void;
  /** Hangs up every request in flight (and stops). */
  abort(): void;
}

/** fetch only says "fetch failed": its cause's code (ECONNREFUSED, UND_ERR_SOCKET...) says what happened. */
const transportReason = (err: unknown): string => {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
};

function errorFields(body: unknown): { code: string | undefined; traceId: string | undefined } {
  if (typeof body !== 'object' || body === null) return { code: undefined, traceId: undefined };
  const b = body as { code?: unknown; trace_id?: unknown; error?: { code?: unknown; trace_id?: unknown } };
  const code = typeof b.code === 'string' ? b.code : typeof b.error?.code === 'string' ? b.error.code : undefined;
  const traceId = typeof b.trace_id === 'string' ? b.trace_id : typeof b.error?.trace_id === 'string' ? b.error.trace_id : undefined;
  return { code, traceId };
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

/** Splits SSE text into events as it arrives (comments such as heartbeats are skipped). */
function createSseParser(onEvent: (event: LoadSseEvent) => void): (text: string) => void {
  let buffer = '';
  return (text) => {
    buffer += text.replaceAll('\r\n', '\n');
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) onEvent({ event, data: data.join('\n') });
    }
  };
}

/** Whether an event ends the stream, and how. */
function terminal(event: LoadSseEvent): { kind: 'done' } | { kind: 'error'; code: string | undefined; retryable: boolean | undefined } | undefined {
  if (event.event === 'done' || event.data === '[DONE]') return { kind: 'done' };
  if (event.event === 'error') {
    const data = parseJson(event.data) as { code?: unknown; retryable?: unknown } | undefined;
    return { kind: 'error', code: typeof data?.code === 'string' ? data.code : undefined, retryable: typeof data?.retryable === 'boolean' ? data.retryable : undefined };
  }
  if (event.event === 'message' && event.data.startsWith('{"error"')) {
    const data = parseJson(event.data) as { error?: { code?: unknown } } | undefined;
    return { kind: 'error', code: typeof data?.error?.code === 'string' ? data.error.code : undefined, retryable: undefined };
  }
  return undefined;
}

/** Sends one request and reads its answer to the end. Never throws. */
async function exchange(index: number, label: string, options: LoadOptions, hangUp: AbortSignal): Promise<RequestOutcome> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const signal = AbortSignal.any([hangUp, AbortSignal.timeout(timeoutMs)]);
  const startedAt = performance.now();
  const outcome: RequestOutcome = {
    index,
    label,
    startedAt,
    endedAt: startedAt,
    latencyMs: 0,
    headersMs: undefined,
    status: 0,
    ending: 'no_response',
    code: undefined,
    retryable: undefined,
    retryAfter: null,
    traceId: undefined,
    body: undefined,
    events: [],
    transportError: undefined,
  };
  const finish = (): RequestOutcome => {
    outcome.endedAt = performance.now();
    outcome.latencyMs = outcome.endedAt - startedAt;
    return outcome;
  };
  const reasonOf = (err: unknown): string => (signal.aborted && !hangUp.aborted ? `client timeout after ${timeoutMs} ms` : transportReason(err));

  let res: Response;
  try {
    res = await options.send(index, signal);
  } catch (err) {
    outcome.transportError = reasonOf(err);
    return finish();
  }
  outcome.headersMs = performance.now() - startedAt;
  outcome.status = res.status;
  outcome.retryAfter = res.headers.get('retry-after');
  const streamed = res.ok && (res.headers.get('content-type') ?? '').startsWith('text/event-stream');

  if (!streamed) {
    try {
      outcome.body = parseJson(await res.text());
    } catch (err) {
      // The answer broke off mid-body: for the client that is no usable answer.
      outcome.transportError = reasonOf(err);
      outcome.ending = res.ok ? 'truncated' : 'http_error';
      return finish();
    }
    const { code, traceId } = errorFields(outcome.body);
    outcome.traceId = traceId;
    if (res.ok) outcome.ending = 'ok';
    else {
      outcome.ending = 'http_error';
      outcome.code = code;
    }
    return finish();
  }

  let end: ReturnType<typeof terminal>;
  const parse = createSseParser((event) => {
    outcome.events.push(event);
    end ??= terminal(event);
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parse(decoder.decode(chunk, { stream: true }));
    parse(decoder.decode());
  } catch (err) {
    outcome.transportError = reasonOf(err);
  }
  const settled = end as ReturnType<typeof terminal>;
  if (settled?.kind === 'done') outcome.ending = 'ok';
  else if (settled?.kind === 'error') {
    outcome.ending = 'stream_error';
    outcome.code = settled.code;
    outcome.retryable = settled.retryable;
  } else outcome.ending = 'truncated';
  return finish();
}

/** Starts sending; see LoadRun. */
export function startLoad(options: LoadOptions): LoadRun {
  if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
  if (options.durationMs === undefined && options.requests === undefined) throw new RangeError('give durationMs or requests');
  const interval = 1000 / options.ratePerSecond;
  const hangUp = new AbortController();
  const outcomes: RequestOutcome[] = [];
  const running = new Set<Promise<void>>();
  let sent = 0;
  let stopped = false;
  let wake: (() => void) | undefined;

  const schedule = (async () => {
    const start = performance.now();
    for (let i = 0; ; i++) {
      const due = start + i * interval;
      if (options.requests !== undefined && i >= options.requests) break;
      if (options.durationMs !== undefined && due - start >= options.durationMs) break;
      const wait = due - performance.now();
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      if (stopped) break;
      sent++;
      const task = exchange(i, options.label?.(i) ?? 'request', options, hangUp.signal).then((outcome) => {
        outcomes.push(outcome);
        running.delete(task);
      });
      running.add(task);
    }
    while (running.size > 0) await Promise.all([...running]);
    return [...outcomes].sort((a, b) => a.index - b.index);
  })();

  const stop = (): void => {
    stopped = true;
    wake?.();
  };
  return {
    get outcomes() {
      return outcomes;
    },
    get sent() {
      return sent;
    },
    get inFlight() {
      return running.size;
    },
    done: schedule,
    stop,
    abort() {
      stop();
      hangUp.abort(new Error('load aborted'));
    },
  };
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/**
 * A failure its client can act on: a non-2xx answer with a machine code (and Retry-After on
 * 429 and 503), or a stream that ended with an error event that has a code. Truncated
 * streams and requests without an answer are never typed.
 */
export function isTypedFailure(outcome: RequestOutcome): boolean {
  if (outcome.ending === 'stream_error') return outcome.code !== undefined;
  if (outcome.ending !== 'http_error' || outcome.code === undefined) return false;
  return (outcome.status !== 429 && outcome.status !== 503) || outcome.retryAfter !== null;
}

export interface LoadSummary {
  total: number;
  byEnding: Record<Ending, number>;
  /** `status code` (or `stream code`) -> count, for failures. */
  failures: Record<string, number>;
  /** Failures that are not typed (see isTypedFailure). */
  untyped: RequestOutcome[];
  /** Share of requests that ended `ok`. */
  availability: number;
  latencyMs: { p50: number; p99: number; max: number };
}

/** Counts, failure codes and latencies of a set of outcomes, for assertions and failure messages. */
export function summarize(outcomes: readonly RequestOutcome[]): LoadSummary {
  const byEnding: Record<Ending, number> = { ok: 0, http_error: 0, stream_error: 0, truncated: 0, no_response: 0 };
  const failures: Record<string, number> = {};
  const untyped: RequestOutcome[] = [];
  for (const o of outcomes) {
    byEnding[o.ending]++;
    if (o.ending === 'ok') continue;
    const key = o.ending === 'http_error' ? `${o.status} ${o.code ?? '(no code)'}` : `${o.ending} ${o.code ?? o.transportError ?? ''}`.trim();
    failures[key] = (failures[key] ?? 0) + 1;
    if (!isTypedFailure(o)) untyped.push(o);
  }
  const latencies = outcomes.map((o) => o.latencyMs);
  return {
    total: outcomes.length,
    byEnding,
    failures,
    untyped,
    availability: outcomes.length === 0 ? Number.NaN : byEnding.ok / outcomes.length,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.length ? Math.max(...latencies) : Number.NaN },
  };
}
