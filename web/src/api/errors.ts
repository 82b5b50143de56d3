// One error class per failure kind, chosen from the HTTP status in one place (createApiError).

/** The RFC 9457 problem document the gateway returns for every non-2xx on /api/*. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly traceId: string;
}

export class ApiError extends Error {
  override readonly name: string = 'ApiError';
  readonly status: number;
  readonly code: string;
  /** Human-readable explanation from the server, safe to show to the user. */
  readonly detail: string;
  readonly traceId: string;
  /** Seconds to wait before trying again, from `Retry-After` (set on 429 and 503). */
  readonly retryAfterSeconds: number | undefined;

  constructor(problem: Problem, retryAfterSeconds: number | undefined) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.status = problem.status;
    this.code = problem.code;
    this.detail = problem.detail;
    this.traceId = problem.traceId;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** 401: the session token is missing, unknown or idled out. */
export class AuthenticationError extends ApiError {
  override readonly name: string = 'AuthenticationError';
}

/** 429: a rate limit or budget was hit. */
export class RateLimitError extends ApiError {
  override readonly name: string = 'RateLimitError';
}

/** 503: Parley (or something it depends on) is unavailable for now. */
export class ServiceUnavailableError extends ApiError {
  override readonly name: string = 'ServiceUnavailableError';
}

/** The request never got an HTTP response (offline, DNS, connection reset). */
export class ConnectionError extends Error {
  override readonly name: string = 'ConnectionError';
}

/** A 2xx response that broke the contract: a malformed body or event, or a stream that ended without `done` or `error`. */
export class ProtocolError extends Error {
  override readonly name: string = 'ProtocolError';
}

export function createApiError(problem: Problem, retryAfterSeconds: number | undefined): ApiError {
  switch (problem.status) {
    case 401:
      return new AuthenticationError(problem, retryAfterSeconds);
    case 429:
      return new RateLimitError(problem, retryAfterSeconds);
    case 503:
      return new ServiceUnavailableError(problem, retryAfterSeconds);
    default:
      return new ApiError(problem, retryAfterSeconds);
  }
}

export async function readProblem(response: Response): Promise<Problem> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined; // not JSON (e.g. a proxy's HTML error page); fall back to the status line
  }
  const fields = isRecord(body) ? body : {};
  const title = stringField(fields, 'title') ?? (response.statusText || 'Request failed');
  return {
    type: stringField(fields, 'type') ?? 'about:blank',
    title,
    status: response.status, // the HTTP status is authoritative for choosing the error class
    detail: stringField(fields, 'detail') ?? `${title} (HTTP ${response.status}).`,
    code: stringField(fields, 'code') ?? `http_${response.status}`,
    traceId: stringField(fields, 'trace_id') ?? '',
  };
}

/** Parses `Retry-After` as delta-seconds or an HTTP date; undefined when absent or unusable. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
