import { setTimeout as sleep } from 'node:timers/promises';
import { context, trace, type Span } from '@opentelemetry/api';
import { LlmUnavailableError, ValidationError, type AppError, type Logger, BreakerOpenError, type Breakers } from '@parley/platform';
import type { FinishReason, LlmChunk, LlmClient, LlmCompletion, LlmRequest, Usage } from '../domain/ports.js';
import { LlmCallError } from './llm-call-error.js';
import type { LlmTelemetry, RouteLabels } from './llm-telemetry.js';

/** One model at one provider: the unit of retries, breakers and fallbacks. */
export interface LlmRoute extends RouteLabels {
  client: LlmClient;
  serverAddress?: string | undefined;
  serverPort?: number | undefined;
}

export interface RetryPolicy {
  /** Attempts per model, the first included. */
  maxAttempts: number;
  /** Full-jitter exponential backoff: attempt n waits random(0, min(maxMs, baseMs * 2^(n-1))). */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A provider's Retry-After longer than this is not waited for: the next model is tried instead. */
  maxRetryAfterMs: number;
  /** One attempt; for a stream, until its first chunk. */
  attemptTimeoutMs: number;
  /** The whole call, every retry and fallback and, for a stream, its last chunk included. */
  deadlineMs: number;
  /** The longest gap between two chunks of a stream before it counts as stalled. */
  streamIdleTimeoutMs: number;
}

export interface ResilientLlmDeps {
  /** The models callers may ask for, each at its provider. */
  routes: LlmRoute[];
  /** Tried in order when the requested model fails (itself skipped). */
  fallbacks: LlmRoute[];
  breakers: Breakers;
  telemetry: LlmTelemetry;
  policy: RetryPolicy;
  /** US dollars for a call's usage on the given (configured) model. */
  price: (model: string, usage: Usage) => number;
  logger: Logger;
  random?: () => number;
  /** Milliseconds, monotonic. */
  now?: () => number;
}

/** A completion or stream as the resilient client reports it: who answered and what it cost. */
export interface ResilientCompletion extends LlmCompletion {
  model: string;
  fallback: boolean;
  costUsd: number;
}

class DeadlineExceeded extends LlmCallError {
  constructor() {
    super('The request deadline passed before the language model answered.', { kind: 'timeout' });
  }
}

/** Whether an error counts against an upstream's breaker (cancellations and the request's own 4xx do not). */
export function isUpstreamFailure(err: unknown): boolean {
  return err instanceof LlmCallError && err.isProviderFailure;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown; retryAfterMs: number | undefined };

/**
 * The one retry loop around the LLM call (ARCHITECTURE.md): full-jitter backoff honouring
 * `retry-after-ms`/`retry-after`, a per-attempt timeout and a request deadline, a breaker per
 * model/provider, then the ordered fallback chain. Streams retry and fall back only until
 * their first chunk; after that a failure is thrown from the iterator. When every model
 * fails the caller gets LlmUnavailableError (503) with a Retry-After, never a hang.
 */
export class ResilientLlm implements LlmClient {
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly byModel: Map<string, LlmRoute>;

  constructor(private readonly deps: ResilientLlmDeps) {
    this.now = deps.now ?? (() => performance.now());
    this.random = deps.random ?? Math.random;
    this.byModel = new Map(deps.routes.map((r) => [r.model, r]));
  }

  /** The models callers may ask for. */
  models(): string[] {
    return [...this.byModel.keys()];
  }

  async complete(request: LlmRequest, signal: AbortSignal): Promise<ResilientCompletion> {
    const deadline = this.now() + this.deps.policy.deadlineMs;
    return this.chain(request, signal, deadline, false, (route, span) => this.completeOn(route, span, request, signal, deadline));
  }

  async stream(request: LlmRequest, signal: AbortSignal): Promise<AsyncIterable<LlmChunk>> {
    const deadline = this.now() + this.deps.policy.deadlineMs;
    return this.chain(request, signal, deadline, true, (route, span, fallback) => this.streamOn(route, span, request, signal, deadline, fallback));
  }

  private routesFor(model: string): LlmRoute[] {
    const primary = this.byModel.get(model);
    if (!primary) throw new ValidationError(`The model ${model} is not available.`);
    return [primary, ...this.deps.fallbacks.filter((r) => !(r.model === primary.model && r.provider === primary.provider))];
  }

  /** Tries each model of the chain in turn; `call` runs the retry loop on one model. */
  private async chain<T>(
    request: LlmRequest,
    signal: AbortSignal,
    deadline: number,
    stream: boolean,
    call: (route: LlmRoute, span: Span, fallback: boolean) => Promise<Outcome<T>>,
  ): Promise<T> {
    const routes = this.routesFor(request.model);
    let last: { error: unknown; retryAfterMs: number | undefined } | undefined;
    let retryAfterMs: number | undefined;
    for (const [index, route] of routes.entries()) {
      const previous = routes[index - 1];
      if (previous && last) this.deps.telemetry.fallback(previous, route, errorTypeOf(last.error));
      const span = this.deps.telemetry.startCall(route, { ...request, model: route.model }, stream);
      // The provider's HTTP client spans nest under this call's span.
      const outcome = await context.with(trace.setSpan(context.active(), span), () => call(route, span, index > 0));
      if (outcome.ok) return outcome.value;
      if (signal.aborted) throw signal.reason ?? outcome.error;
      last = outcome;
      if (outcome.retryAfterMs !== undefined) retryAfterMs = Math.min(retryAfterMs ?? Infinity, outcome.retryAfterMs);
      if (!(outcome.error instanceof LlmCallError || outcome.error instanceof BreakerOpenError) || !canFallBack(outcome.error)) break;
      if (this.now() >= deadline) break;
    }
    throw this.giveUp(request.model, last?.error, retryAfterMs);
  }

  /**
   * The retry loop on one model. `attempt` resolves with the value as soon as the caller can
   * have it, plus, for a stream, `settled`: the breaker call lasts until it settles, so a
   * stream that breaks after its first chunk still counts against the model.
   */
  private async retryLoop<T>(
    route: LlmRoute,
    span: Span,
    signal: AbortSignal,
    deadline: number,
    attempt: (attemptSignal: AbortSignal, controller: AbortController, timeoutMs: number) => Promise<{ value: T; settled?: Promise<void> }>,
  ): Promise<Outcome<T>> {
    const { policy, telemetry } = this.deps;
    const breaker = this.deps.breakers.get(`llm:${route.provider}/${route.model}`, 'llm');
    const started = this.now();
    for (let n = 1; ; n++) {
      const remaining = deadline - this.now();
      let error: unknown;
      if (remaining <= 0) {
        error = new DeadlineExceeded();
      } else {
        const controller = new AbortController();
        const timeoutMs = Math.min(policy.attemptTimeoutMs, remaining);
        const { promise: ready, resolve, reject } = Promise.withResolvers<T>();
        breaker
          .run(async () => {
            const result = await attempt(AbortSignal.any([signal, controller.signal]), controller, timeoutMs);
            resolve(result.value);
            await result.settled;
          })
          // Before the value: this attempt failed. After it: only the breaker needed to know.
          .catch(reject);
        try {
          return { ok: true, value: await ready };
        } catch (err) {
          error = err;
        }
      }
      if (signal.aborted) {
        telemetry.failed(span, route, 'cancelled', 'The caller went away.', (this.now() - started) / 1000);
        return { ok: false, error, retryAfterMs: undefined };
      }
      const errorType = errorTypeOf(error);
      const retryAfterMs = error instanceof LlmCallError ? error.retryAfterMs : error instanceof BreakerOpenError ? error.retryAfterMs : undefined;
      const delay = retryAfterMs ?? this.random() * Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (n - 1));
      const retryable = error instanceof LlmCallError && error.retryable && !(error instanceof DeadlineExceeded);
      const worthWaiting = n < policy.maxAttempts && (retryAfterMs === undefined || retryAfterMs <= policy.maxRetryAfterMs) && this.now() + delay < deadline;
      if (!retryable || !worthWaiting) {
        telemetry.attemptFailed(span, n, errorType, canFallBack(error) ? 'fallback' : 'fail');
        telemetry.failed(span, route, errorType, error instanceof Error ? error.message : String(error), (this.now() - started) / 1000);
        this.deps.logger.warn({ gen_ai_request_model: route.model, gen_ai_provider_name: route.provider, attempt: n, error_type: errorType }, 'language model call failed');
        return { ok: false, error, retryAfterMs };
      }
      telemetry.retry(span, route, n, errorType, delay);
      try {
        await sleep(delay, undefined, { signal });
      } catch {
        telemetry.failed(span, route, 'cancelled', 'The caller went away.', (this.now() - started) / 1000);
        return { ok: false, error, retryAfterMs: undefined };
      }
    }
  }

  private async completeOn(route: LlmRoute, span: Span, request: LlmRequest, signal: AbortSignal, deadline: number): Promise<Outcome<ResilientCompletion>> {
    const started = this.now();
    const outcome = await this.retryLoop(route, span, signal, deadline, async (attemptSignal, controller, timeoutMs) => ({
      value: await withTimeout(controller, timeoutMs, () => route.client.complete({ ...request, model: route.model }, attemptSignal)),
    }));
    if (!outcome.ok) return outcome;
    const completion = outcome.value;
    const costUsd = this.deps.price(route.model, completion.usage);
    this.deps.telemetry.succeeded(span, route, {
      responseModel: completion.responseModel,
      responseId: completion.responseId,
      finishReasons: [completion.finishReason],
      usage: completion.usage,
      costUsd,
      text: completion.text,
      seconds: (this.now() - started) / 1000,
    });
    return { ok: true, value: { ...completion, model: route.model, fallback: route.model !== request.model, costUsd } };
  }

  /**
   * Opens a stream on one model. The breaker call lasts as long as the stream, so a stream
   * that breaks after its first chunk still counts against the model; the caller gets the
   * chunks as soon as the first one arrived.
   */
  private async streamOn(route: LlmRoute, span: Span, request: LlmRequest, signal: AbortSignal, deadline: number, fallback: boolean): Promise<Outcome<AsyncIterable<LlmChunk>>> {
    const started = this.now();
    const outcome = await this.retryLoop(route, span, signal, deadline, async (attemptSignal, controller, timeoutMs) => {
      const chunks = await withTimeout(controller, timeoutMs, () => route.client.stream({ ...request, model: route.model }, attemptSignal));
      this.deps.telemetry.firstChunk(span, route, (this.now() - started) / 1000);
      const settle = Promise.withResolvers<void>();
      // Settles however the stream ends, even if nobody ever reads it: the caller's abort or the deadline.
      const onAbort = () => settle.resolve();
      attemptSignal.addEventListener('abort', onAbort, { once: true });
      const deadlineTimer = setTimeout(() => controller.abort(new DeadlineExceeded()), Math.max(0, deadline - this.now()));
      const settled = settle.promise.finally(() => {
        clearTimeout(deadlineTimer);
        attemptSignal.removeEventListener('abort', onAbort);
      });
      return { value: { chunks, controller, signal: attemptSignal, settle }, settled };
    });
    if (!outcome.ok) return outcome;
    return { ok: true, value: this.watchStream(route, span, request, outcome.value, deadline, started, fallback) };
  }

  /** Passes a stream's chunks on, with the stall and deadline limits, metrics, cost and the end of the span. */
  private watchStream(
    route: LlmRoute,
    span: Span,
    request: LlmRequest,
    opened: { chunks: AsyncIterable<LlmChunk>; controller: AbortController; signal: AbortSignal; settle: PromiseWithResolvers<void> },
    deadline: number,
    started: number,
    fallback: boolean,
  ): AsyncIterable<LlmChunk> {
    const { telemetry, policy, price, logger } = this.deps;
    const now = this.now;
    const giveUp = (error: LlmCallError) => this.giveUp(request.model, error, undefined, 'The model stream broke off.');
    telemetry.streamOpened();
    return (async function* (): AsyncGenerator<LlmChunk> {
      const iterator = opened.chunks[Symbol.asyncIterator]();
      let usage: Usage | undefined;
      let responseModel: string | undefined;
      let responseId: string | undefined;
      const finishReasons: FinishReason[] = [];
      let text = '';
      let last = now();
      let ended = false;
      // Why the stream ends early, if it does; a consumer that stops reading (a safety block) is `stopped`.
      let abortReason: string | undefined;
      let failure: unknown;
      try {
        yield { type: 'response', model: route.model, fallback };
        for (;;) {
          const untilDeadline = deadline - now();
          // Which limit the wait ends at is decided here, not by reading the clock after the
          // timer: timers may fire a fraction of a millisecond early.
          const deadlinePassed = untilDeadline <= policy.streamIdleTimeoutMs;
          const next = await nextWithin(iterator, Math.min(policy.streamIdleTimeoutMs, untilDeadline), opened.controller);
          if (next === 'timeout') {
            abortReason = deadlinePassed ? 'deadline' : 'stalled';
            throw deadlinePassed ? new DeadlineExceeded() : new LlmCallError(`The model stream sent nothing for ${policy.streamIdleTimeoutMs} ms.`, { kind: 'stalled' });
          }
          if (next.done) break;
          const chunk = next.value;
          if (chunk.type === 'text') {
            const at = now();
            if (text.length > 0) telemetry.outputChunk(route, (at - last) / 1000);
            last = at;
            text += chunk.text;
            yield chunk;
          } else if (chunk.type === 'usage') {
            usage = chunk.usage;
            yield { type: 'usage', usage, costUsd: price(route.model, usage) };
          } else if (chunk.type === 'response') {
            responseModel = chunk.model;
            responseId = chunk.id;
          } else {
            finishReasons.push(chunk.finishReason);
            yield chunk;
          }
        }
        ended = true;
      } catch (err) {
        const reason: unknown = opened.signal.aborted ? opened.signal.reason : undefined;
        failure = reason instanceof LlmCallError ? reason : err;
        abortReason ??= reason instanceof DeadlineExceeded ? 'deadline' : opened.signal.aborted && !(reason instanceof LlmCallError) ? 'client' : 'interrupted';
        const errorType = abortReason === 'client' ? 'cancelled' : errorTypeOf(failure);
        telemetry.failed(span, route, errorType, failure instanceof Error ? failure.message : String(failure), (now() - started) / 1000);
        if (abortReason !== 'client') logger.warn({ gen_ai_request_model: route.model, error_type: errorType, output_chars: text.length }, 'model stream failed after it started');
        throw failure instanceof LlmCallError ? giveUp(failure) : failure;
      } finally {
        if (!ended && failure === undefined) abortReason = opened.signal.aborted ? 'client' : 'stopped';
        // Settled before the abort below, whose listener would settle it as a success.
        if (failure instanceof LlmCallError && failure.isProviderFailure) opened.settle.reject(failure);
        else opened.settle.resolve();
        if (!opened.signal.aborted && !ended) opened.controller.abort(new Error('stream closed by its consumer'));
        await iterator.return?.();
        telemetry.streamClosed(route, abortReason);
        if (failure === undefined) {
          telemetry.succeeded(span, route, {
            responseModel,
            responseId,
            finishReasons,
            usage,
            costUsd: usage ? price(route.model, usage) : undefined,
            text,
            seconds: (now() - started) / 1000,
            cancelled: !ended,
          });
        }
      }
    })();
  }

  /** The error a caller sees when the chain gave up. */
  private giveUp(model: string, error: unknown, retryAfterMs: number | undefined, detail?: string): AppError | unknown {
    if (error instanceof ValidationError) return error;
    if (error instanceof LlmCallError && error.kind === 'http' && [400, 413, 422].includes(error.status ?? 0)) {
      return new ValidationError('The language model rejected the request.', { cause: error });
    }
    if (!(error instanceof LlmCallError || error instanceof BreakerOpenError) && error !== undefined) return error;
    const seconds = Math.max(1, Math.ceil((retryAfterMs ?? 5_000) / 1000));
    return new LlmUnavailableError(detail ?? `The language model (${model}) is unavailable; try again shortly.`, { cause: error, retryAfterSeconds: seconds });
  }
}

/** A failure the next model may not share (a 400 would fail on every model). */
function canFallBack(error: unknown): boolean {
  if (error instanceof BreakerOpenError) return true;
  return error instanceof LlmCallError && (error.isProviderFailure || error.kind !== 'http' || error.status === 401 || error.status === 403 || error.status === 404);
}

function errorTypeOf(error: unknown): string {
  if (error instanceof LlmCallError) return error.errorType;
  if (error instanceof BreakerOpenError) return 'circuit_open';
  return error instanceof Error ? error.name : 'unknown';
}

/** Runs `task`, aborting it through `controller` after `timeoutMs`: the abort becomes a timeout LlmCallError. */
async function withTimeout<T>(controller: AbortController, timeoutMs: number, task: () => Promise<T>): Promise<T> {
  const timer = setTimeout(() => controller.abort(new LlmCallError(`No answer within ${timeoutMs} ms.`, { kind: 'timeout' })), timeoutMs);
  try {
    return await task();
  } catch (err) {
    const reason: unknown = controller.signal.reason;
    if (controller.signal.aborted && reason instanceof LlmCallError) throw reason;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** The iterator's next result, or 'timeout' (the upstream aborted) when nothing came within `ms`. */
async function nextWithin<T>(iterator: AsyncIterator<T>, ms: number, controller: AbortController): Promise<IteratorResult<T> | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, ms));
  });
  try {
    const result = await Promise.race([iterator.next(), timeout]);
    if (result === 'timeout') controller.abort(new Error('stream stalled'));
    return result;
  } finally {
    clearTimeout(timer);
  }
}
