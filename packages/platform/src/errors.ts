/**
 * The one error taxonomy: one class per failure kind, each knowing its HTTP
 * status and stable machine code. Adapters translate library errors into these;
 * the error handler maps them to RFC 9457 problems or the OpenAI envelope.
 */
export interface AppErrorOptions {
  detail?: string | undefined;
  cause?: unknown;
  /** Seconds the client should wait before retrying; sent as Retry-After. */
  retryAfterSeconds?: number | undefined;
  /** Extra members for the problem document (never secrets or user text). */
  extensions?: Record<string, unknown> | undefined;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  abstract readonly title: string;
  /** Whether the same request may succeed if retried later. */
  readonly retryable: boolean = false;
  readonly detail: string;
  readonly retryAfterSeconds: number | undefined;
  readonly extensions: Record<string, unknown>;

  constructor(detail: string, options: Omit<AppErrorOptions, 'detail'> = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.detail = detail;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.extensions = options.extensions ?? {};
  }
}

export class ValidationError extends AppError {
  readonly status = 400;
  readonly code: string = 'invalid_request';
  readonly title = 'Invalid request';
}

export class InvalidJsonError extends ValidationError {
  override readonly code = 'invalid_json';
}

export class UnauthorizedError extends AppError {
  readonly status = 401;
  readonly code: string = 'unauthorized';
  readonly title = 'Unauthorized';
}

export class SessionExpiredError extends UnauthorizedError {
  override readonly code = 'session_expired';
}

export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly code = 'forbidden';
  readonly title = 'Forbidden';
}

export class NotFoundError extends AppError {
  readonly status = 404;
  readonly code: string = 'not_found';
  readonly title = 'Not found';
}

/** The OpenAI-compatible API was asked for a model that is not on the allowlist. */
export class ModelNotFoundError extends NotFoundError {
  override readonly code = 'model_not_found';
}

export class MethodNotAllowedError extends AppError {
  readonly status = 405;
  readonly code = 'method_not_allowed';
  readonly title = 'Method not allowed';
}

export class NotAcceptableError extends AppError {
  readonly status = 406;
  readonly code = 'not_acceptable';
  readonly title = 'Not acceptable';
}

export class ConflictError extends AppError {
  readonly status = 409;
  readonly code: string = 'conflict';
  readonly title = 'Conflict';
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly code = 'payload_too_large';
  readonly title = 'Payload too large';
}

export class UriTooLongError extends AppError {
  readonly status = 414;
  readonly code = 'uri_too_long';
  readonly title = 'URI too long';
}

export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
  readonly title = 'Unsupported media type';
}

export class RateLimitedError extends AppError {
  readonly status = 429;
  readonly code: string = 'rate_limited';
  readonly title = 'Too many requests';
  override readonly retryable = true;
}

export class InternalError extends AppError {
  readonly status = 500;
  readonly code = 'internal_error';
  readonly title = 'Internal error';
}

/** A dependency answered with something we cannot use. */
export class UpstreamError extends AppError {
  readonly status = 502;
  readonly code: string = 'upstream_error';
  readonly title = 'Bad gateway';
  override readonly retryable = true;
}

/** A dependency is down, overloaded or its breaker is open. */
export class ServiceUnavailableError extends AppError {
  readonly status = 503;
  readonly code: string = 'service_unavailable';
  readonly title = 'Service unavailable';
  override readonly retryable = true;
}

/** Every configured model/provider failed or is shed by its breaker. */
export class LlmUnavailableError extends ServiceUnavailableError {
  override readonly code = 'llm_unavailable';
}

/** safety-service cannot answer: output is never released unchecked (fail closed). */
export class SafetyUnavailableError extends ServiceUnavailableError {
  override readonly code = 'safety_unavailable';
}

/** An operator switched LLM traffic off. */
export class KillSwitchError extends ServiceUnavailableError {
  override readonly code = 'kill_switch';
}

export class UpstreamTimeoutError extends AppError {
  readonly status = 504;
  readonly code = 'upstream_timeout';
  readonly title = 'Upstream timeout';
  override readonly retryable = true;
}

/** Maps anything thrown to an AppError, keeping the original as `cause`. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as { type?: unknown; status?: unknown; statusCode?: unknown; name?: unknown } | null;
  // body-parser errors (express.json) carry a `type` and `status`.
  if (e && typeof e === 'object') {
    switch (e.type) {
      case 'entity.parse.failed':
        return new InvalidJsonError('The request body is not valid JSON.', { cause: err });
      case 'entity.too.large':
        return new PayloadTooLargeError('The request body is too large.', { cause: err });
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return new UnsupportedMediaTypeError('The request body encoding is not supported.', { cause: err });
      case 'request.aborted':
        return new ValidationError('The request was aborted by the client.', { cause: err });
      default:
        break;
    }
    const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
    if (status === 404) return new NotFoundError('Not found.', { cause: err });
    if (status === 413) return new PayloadTooLargeError('The request body is too large.', { cause: err });
    if (status === 415) return new UnsupportedMediaTypeError('The request body type is not supported.', { cause: err });
    if (status !== undefined && status >= 400 && status < 500) {
      return new ValidationError('The request could not be processed.', { cause: err });
    }
  }
  return new InternalError('An unexpected error occurred.', { cause: err });
}
