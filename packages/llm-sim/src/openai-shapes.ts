import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/** The request body of POST /v1/chat/completions; fields llm-sim ignores (tools, top_p...) pass. */
const textPart = z.object({ type: z.literal('text'), text: z.string() }).loose();

const message = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
    content: z.union([z.string(), z.array(textPart)]).nullable().optional(),
    name: z.string().optional(),
  })
  .loose()
  .refine((m) => m.role === 'assistant' || (m.content !== null && m.content !== undefined), {
    message: 'content is required',
    path: ['content'],
  });

export const chatCompletionRequestSchema = z
  .object({
    model: z.string().min(1).max(256),
    messages: z.array(message).min(1, 'at least one message is required'),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().nullable().optional() }).loose().nullable().optional(),
    max_tokens: z.number().int().min(1).nullable().optional(),
    max_completion_tokens: z.number().int().min(1).nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    n: z.literal(1, 'llm-sim supports n=1 only').nullable().optional(),
    user: z.string().max(512).optional(),
  })
  .loose()
  .refine((body) => body.stream === true || body.stream_options === undefined || body.stream_options === null, {
    message: 'stream_options is only allowed when stream is true',
    path: ['stream_options'],
  });

export type ChatCompletionRequest = z.output<typeof chatCompletionRequestSchema>;
export type ChatMessage = ChatCompletionRequest['messages'][number];

/** The text of a message: a string, or its text parts joined. */
export function messageText(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content.map((part) => part.text).join('');
}

export type FinishReason = 'stop' | 'length';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

export function usage(prompt: number, completion: number): Usage {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

/** Fields every completion and chunk of one answer share. */
export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
  system_fingerprint: string;
}

export const SYSTEM_FINGERPRINT = 'fp_llmsim';

export function completionMeta(model: string, nowMs: number): CompletionMeta {
  return {
    id: `chatcmpl-${randomUUID().replaceAll('-', '').slice(0, 24)}`,
    created: Math.floor(nowMs / 1000),
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
}

export function requestId(): string {
  return `req_${randomUUID().replaceAll('-', '')}`;
}

export function completion(meta: CompletionMeta, content: string, finishReason: FinishReason, used: Usage) {
  return {
    id: meta.id,
    object: 'chat.completion' as const,
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: finishReason,
      },
    ],
    usage: used,
    service_tier: 'default',
    system_fingerprint: meta.system_fingerprint,
  };
}

export interface ChunkDelta {
  role?: 'assistant';
  content?: string;
  refusal?: null;
}

/** The fields every chunk of one stream shares. */
function chunkHeader(meta: CompletionMeta) {
  return {
    id: meta.id,
    object: 'chat.completion.chunk' as const,
    created: meta.created,
    model: meta.model,
    service_tier: 'default',
    system_fingerprint: meta.system_fingerprint,
  };
}

export function chunk(meta: CompletionMeta, delta: ChunkDelta, finishReason: FinishReason | null, withUsage: boolean) {
  return {
    ...chunkHeader(meta),
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    // With include_usage OpenAI sends `usage: null` on every chunk but the last.
    ...(withUsage ? { usage: null } : {}),
  };
}

export function usageChunk(meta: CompletionMeta, used: Usage) {
  return {
    ...chunkHeader(meta),
    choices: [],
    usage: used,
  };
}

export const MODEL_CREATED = 1_700_000_000;

export function modelObject(id: string) {
  return { id, object: 'model' as const, created: MODEL_CREATED, owned_by: 'llm-sim' };
}

/** type and code of an injected HTTP error, as OpenAI would send them. */
export function faultError(status: number): { message: string; type: string; code: string | null } {
  const suffix = ' (injected by llm-sim)';
  switch (status) {
    case 400:
      return { message: `Simulated bad request.${suffix}`, type: 'invalid_request_error', code: 'invalid_request' };
    case 401:
      return { message: `Incorrect API key provided.${suffix}`, type: 'invalid_request_error', code: 'invalid_api_key' };
    case 403:
      return { message: `You are not allowed to use this model.${suffix}`, type: 'permission_error', code: 'permission_denied' };
    case 404:
      return { message: `The model does not exist or you do not have access to it.${suffix}`, type: 'invalid_request_error', code: 'model_not_found' };
    case 408:
      return { message: `Request timed out.${suffix}`, type: 'timeout_error', code: 'timeout' };
    case 429:
      return { message: `Rate limit reached for requests.${suffix}`, type: 'requests', code: 'rate_limit_exceeded' };
    case 500:
      return { message: `The server had an error while processing your request.${suffix}`, type: 'server_error', code: 'server_error' };
    case 503:
      return { message: `The engine is currently overloaded, please try again later.${suffix}`, type: 'server_error', code: 'service_unavailable' };
    default:
      return status < 500
        ? { message: `Simulated client error ${status}.${suffix}`, type: 'invalid_request_error', code: `http_${status}` }
        : { message: `Simulated server error ${status}.${suffix}`, type: 'server_error', code: `http_${status}` };
  }
}
