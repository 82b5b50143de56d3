import OpenAI from 'openai';
import { LlmUnavailableError, UpstreamTimeoutError, ValidationError, type AppError } from '@parley/platform';
import type { FinishReason, LlmChunk, LlmClient, LlmCompletion, LlmRequest } from '../domain/ports.js';

export interface OpenAiLlmOptions {
  apiKey: string;
  baseURL: string;
  /** Per-call timeout; the retry loop (later) adds the request deadline on top. */
  timeoutMs: number;
  /** Injected for tests; defaults to global fetch. */
  fetch?: typeof fetch;
}

function finishReason(reason: string | null | undefined): FinishReason {
  if (reason === 'length') return 'length';
  if (reason === 'content_filter') return 'content_filter';
  return 'stop';
}

function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms / 1000;
  const s = Number(headers?.get('retry-after'));
  return Number.isFinite(s) && s > 0 ? s : undefined;
}

/** Translates openai SDK errors into Parley's taxonomy (status mapping in one place). */
export function toLlmError(err: unknown): AppError | unknown {
  if (err instanceof OpenAI.APIUserAbortError) return err;
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return new UpstreamTimeoutError('The language model did not answer in time.', { cause: err });
  }
  if (err instanceof OpenAI.APIConnectionError) {
    return new LlmUnavailableError('The language model cannot be reached.', { cause: err, retryAfterSeconds: 5 });
  }
  if (err instanceof OpenAI.APIError) {
    const status = err.status ?? 0;
    if (status === 400 || status === 413 || status === 422) {
      return new ValidationError('The language model rejected the request.', { cause: err });
    }
    return new LlmUnavailableError(`The language model answered ${status}.`, {
      cause: err,
      retryAfterSeconds: retryAfterSeconds(err.headers as Headers | undefined) ?? 5,
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
    ...(options.fetch ? { fetch: options.fetch } : {}),
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
        };
      } catch (err) {
        throw toLlmError(err);
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
        throw toLlmError(err);
      }
      return (async function* (): AsyncGenerator<LlmChunk> {
        let current = first;
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
        } catch (err) {
          const mapped = toLlmError(err);
          if (mapped !== err || signal.aborted) throw mapped;
          // A stream that breaks mid-way (connection cut, malformed chunk) is the provider failing.
          throw new LlmUnavailableError('The model stream was interrupted.', { cause: err, retryAfterSeconds: 2 });
        } finally {
          await iterator.return?.();
        }
      })();
    },
  };
}
