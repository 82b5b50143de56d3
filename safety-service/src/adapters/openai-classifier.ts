import OpenAI from 'openai';
import { ClassifierCallError, scoresFromOpenAi, type ModerationClassifier } from '../domain/classifier.js';

export interface OpenAiClassifierOptions {
  baseURL: string;
  /** Any value for llm-sim; the SDK insists on one. */
  apiKey: string;
  model: string;
  /** Injected for tests; defaults to global fetch. */
  fetch?: typeof fetch;
}

/**
 * Translates openai SDK errors into ClassifierCallErrors (status mapping in one place). A
 * caller's abort passes through untouched: the caller knows whether it was its deadline.
 */
export function toClassifierCallError(err: unknown): unknown {
  if (err instanceof OpenAI.APIUserAbortError) return err;
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return new ClassifierCallError('The moderation classifier did not answer in time.', { kind: 'timeout', cause: err });
  }
  if (err instanceof OpenAI.APIConnectionError) {
    return new ClassifierCallError('The moderation classifier cannot be reached.', { kind: 'connection', cause: err });
  }
  if (err instanceof OpenAI.APIError && err.status !== undefined) {
    return new ClassifierCallError(`The moderation classifier answered ${err.status}.`, { kind: 'http', status: err.status, cause: err });
  }
  return err;
}

/** OpenAI's moderation endpoint (or any compatible one) through the official SDK; SDK retries off. */
export function createOpenAiClassifier(options: OpenAiClassifierOptions): ModerationClassifier {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    // An optional second opinion: no retries at all; the per-call AbortSignal bounds each call.
    maxRetries: 0,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return {
    async classify(text, signal) {
      let res: OpenAI.Moderations.ModerationCreateResponse;
      try {
        res = await client.moderations.create({ model: options.model, input: text }, { signal });
      } catch (err) {
        throw toClassifierCallError(err);
      }
      const result = res.results[0];
      if (!result) throw new ClassifierCallError('The moderation classifier answered without a result.', { kind: 'invalid_response' });
      // The SDK types name each category; the wire format is a plain map, which is what we read.
      return scoresFromOpenAi(result.category_scores as unknown as Record<string, number>);
    },
  };
}
