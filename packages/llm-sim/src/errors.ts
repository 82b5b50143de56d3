import { UnauthorizedError } from '@parley/platform';

/** 404 `model_not_found`: the platform's, shared with chat-service's OpenAI-compatible API. */
export { ModelNotFoundError } from '@parley/platform';

/** 401 with OpenAI's code, so SDKs and Parley's mapping see what the real API sends. */
export class InvalidApiKeyError extends UnauthorizedError {
  override readonly code = 'invalid_api_key';
}
