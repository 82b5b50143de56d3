import OpenAI from 'openai';
import type { FinishReason, LlmChunk, LlmClient, LlmCompletion, LlmRequest } from '../domain/ports.js';
import { LlmCallError, retryAfterMsFrom } from '../llm/llm-call-error.js';
import { createNodeHttpFetch } from './node-http-fetch.js';

export interface OpenAiLlmOptions {
  apiKey: string;
  baseURL: string;
  /**
   * The SDK's own timeout, a backstop only: the retry loop gives every attempt its own
   * deadline through the AbortSignal it passes in.
   */
  timeoutMs: number;
  /**
   * Injected for tests; defaults to node:http with its own keep-alive agents, not the global
   * fetch, which opens a spare connection for every stream aborted mid-response (see node-http-fetch.ts).
   */
  fetch?: typeof fetch;
}

function finishReason(reason: string | null | undefined): FinishReason {
  if (reason === 'length') return 'length';
  if (reason === 'content_filter') return 'content_filter';
  return 'stop';
}

/**
 * Translates openai SDK errors into provider-neutral LlmCallErrors (status mapping in one
 * place). A caller's abort is passed through untouched: the caller knows why it aborted.
 */
export function toLlmCallError(err: unknown): unknown {
  if (err instanceof OpenAI.APIUserAbortError) return err;
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return new LlmCallError('The language model did not answer in time.', { kind: 'timeout', cause: err });
  }
  if (err instanceof OpenAI.APIConnectionError) {
    return new LlmCallError('The language model cannot be reached.', { kind: 'connection', cause: err });
  }
  if (err instanceof OpenAI.APIError) {
    if (err.status === undefined) {
      // An `error` event inside a stream that had started.
      return new LlmCallError('The model stream reported an error.', { kind: 'interrupted', cause: err });
    }
    return new LlmCallError(`The language model answered ${err.status}.`, {
      kind: 'http',
      status: err.status,
      retryAfterMs: retryAfterMsFrom(err.headers as Headers | undefined),
      cause: err,
    });
  }
  return err;
}

/** The LLM through the official openai SDK: any OpenAI-compatible base URL, SDK retries off. */
export function createOpenAiLlm(options: OpenAiLlmOptions): LlmClient {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    timeout: options.timeoutMs,
    // One retry loop, in chat-service, around this call (ARCHITECTURE.md): never the SDK's.
    maxRetries: 0,
    fetch: options.fetch ?? createNodeHttpFetch(),
  });

  const body = (request: LlmRequest) => ({
    model: request.model,
    messages: request.messages,
    max_tokens: request.maxTokens,
    temperature: request.temperature,
  });

  return {
    async complete(request, signal): Promise<LlmCompletion> {
      try {
        const res = await client.chat.completions.create({ ...body(request), stream: false }, { signal });
        const choice = res.choices[0];
        return {
          text: choice?.message.content ?? '',
          finishReason: finishReason(choice?.finish_reason),
          usage: { input_tokens: res.usage?.prompt_tokens ?? 0, output_tokens: res.usage?.completion_tokens ?? 0 },
          responseModel: res.model,
          responseId: res.id,
        };
      } catch (err) {
        throw toLlmCallError(err);
      }
    },

    async stream(request, signal) {
      let iterator: AsyncIterator<OpenAI.Chat.Completions.ChatCompletionChunk>;
      let first: IteratorResult<OpenAI.Chat.Completions.ChatCompletionChunk>;
      try {
        const stream = await client.chat.completions.create(
          { ...body(request), stream: true, stream_options: { include_usage: true } },
          { signal },
        );
        iterator = stream[Symbol.asyncIterator]();
        first = await iterator.next();
      } catch (err) {
        throw toLlmCallError(err);
      }
      return (async function* (): AsyncGenerator<LlmChunk> {
        let current = first;
        if (!current.done && current.value.model) yield { type: 'response', model: current.value.model, id: current.value.id };
        try {
          while (!current.done) {
            const chunk = current.value;
            for (const choice of chunk.choices) {
              if (choice.delta.content) yield { type: 'text', text: choice.delta.content };
              if (choice.finish_reason) yield { type: 'finish', finishReason: finishReason(choice.finish_reason) };
            }
            if (chunk.usage) {
              yield { type: 'usage', usage: { input_tokens: chunk.usage.prompt_tokens, output_tokens: chunk.usage.completion_tokens } };
            }
            current = await iterator.next();
          }
          // The SDK ends an aborted stream quietly; an aborted stream must never look complete.
          if (signal.aborted) throw signal.reason;
        } catch (err) {
          if (signal.aborted) throw err;
          // Whatever breaks a started stream (cut connection, error event, malformed chunk) is the provider failing.
          throw new LlmCallError('The model stream was interrupted.', { kind: 'interrupted', cause: err });
        } finally {
          await iterator.return?.();
        }
      })();
    },
  };
}
