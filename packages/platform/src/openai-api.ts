import { z } from 'zod';
import { textSchema } from './http.js';

/**
 * The request body of the OpenAI-compatible `POST /v1/chat/completions`, shared by the
 * gateway (edge validation) and chat-service. Text only: tools, function calls, images and
 * audio are refused with a 400 that names the field rather than silently dropped.
 */
export interface ChatCompletionLimits {
  /** Characters per message (MAX_MESSAGE_CHARS). */
  maxMessageChars: number;
  maxMessages: number;
  maxTokens: number;
}

export const OPENAI_ROLES = ['system', 'developer', 'user', 'assistant'] as const;

export function chatCompletionRequestSchema(limits: ChatCompletionLimits) {
  const text = textSchema({ max: limits.maxMessageChars });
  const content = z.union([
    text,
    z
      .array(z.strictObject({ type: z.literal('text'), text: z.string() }))
      .min(1)
      .transform((parts) => parts.map((p) => p.text).join(''))
      .pipe(text),
  ]);
  const message = z.strictObject({
    role: z.enum(OPENAI_ROLES),
    content,
    name: z.string().max(64).optional(),
  });
  const tokens = z.number().int().min(1).max(limits.maxTokens);
  const unsupported = (what: string) => z.undefined({ error: `${what} are not supported by this endpoint` }).optional();
  return z
    .strictObject({
      model: z.string().min(1).max(256),
      messages: z.array(message).min(1).max(limits.maxMessages),
      stream: z.boolean().nullish(),
      stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullish(),
      temperature: z.number().min(0).max(2).nullish(),
      max_tokens: tokens.nullish(),
      max_completion_tokens: tokens.nullish(),
      n: z.literal(1, { error: 'only n=1 is supported' }).nullish(),
      user: z.string().max(256).nullish(),
      // Accepted for compatibility and not applied: Parley's models run with its own sampling settings.
      top_p: z.number().min(0).max(1).nullish(),
      seed: z.number().int().nullish(),
      presence_penalty: z.number().min(-2).max(2).nullish(),
      frequency_penalty: z.number().min(-2).max(2).nullish(),
      stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
      tools: unsupported('tools'),
      tool_choice: unsupported('tool choices'),
      functions: unsupported('functions'),
      function_call: unsupported('function calls'),
      response_format: unsupported('response formats'),
      logprobs: z.literal(false).nullish(),
    })
    .refine((b) => b.messages.some((m) => m.role === 'user'), { message: 'must contain at least one user message', path: ['messages'] });
}

export type ChatCompletionRequest = z.output<ReturnType<typeof chatCompletionRequestSchema>>;
