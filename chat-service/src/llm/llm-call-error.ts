/**
 * What went wrong with one call to a model provider, in provider-neutral terms. Adapters
 * throw it; the retry loop and the breakers read it; `toAppError` in resilient-llm.ts turns
 * the last one into Parley's taxonomy when every attempt has failed.
 */
export type LlmFailureKind =
  /** The provider answered with an HTTP error status. */
  | 'http'
  /** No connection, reset, DNS: the provider could not be reached. */
  | 'connection'
  /** The attempt ran out of time before an answer (or before the first chunk). */
  | 'timeout'
  /** A stream stopped sending chunks for longer than the stall limit. */
  | 'stalled'
  /** A stream broke after it had started (connection cut, malformed chunk). */
  | 'interrupted';

export interface LlmCallErrorOptions {
  kind: LlmFailureKind;
  status?: number | undefined;
  /** From `retry-after-ms` or `retry-after` on the provider's answer. */
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

/** Statuses worth another attempt (ARCHITECTURE.md: 408, 409, 429 and 5xx). */
const RETRYABLE_STATUS = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500;

export class LlmCallError extends Error {
  readonly kind: LlmFailureKind;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: LlmCallErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LlmCallError';
    this.kind = options.kind;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** Another attempt (after a backoff) may succeed. */
  get retryable(): boolean {
    return this.kind !== 'http' || RETRYABLE_STATUS(this.status ?? 0);
  }

  /** Counts against the provider's breaker: a 4xx other than 408/429 is the request's fault, not the provider's. */
  get isProviderFailure(): boolean {
    if (this.kind !== 'http') return true;
    const status = this.status ?? 0;
    return status >= 500 || status === 408 || status === 429;
  }

  /** `error.type` for spans and metrics: the status code, or the failure kind. */
  get errorType(): string {
    return this.kind === 'http' ? String(this.status ?? 'http') : this.kind;
  }
}

/** Milliseconds from `retry-after-ms` (preferred) or `retry-after` (seconds or an HTTP date). */
export function retryAfterMsFrom(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers.get('retry-after');
  if (raw === null || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
