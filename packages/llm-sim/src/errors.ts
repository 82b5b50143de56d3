import { AppError, UnauthorizedError } from '@parley/platform';

/** 401 with OpenAI's code, so SDKs and Parley's mapping see what the real API sends. */
export class InvalidApiKeyError extends UnauthorizedError {
  override readonly code = 'invalid_api_key';
}

/** 404 for a model that is not configured (GET /v1/models/:id, or strict model checking). */
export class ModelNotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'model_not_found';
  readonly title = 'Model not found';
}
