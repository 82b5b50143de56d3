import { z } from 'zod';
import { baseConfigSchema, portSchema, urlSchema } from '@parley/platform';

export const configSchema = baseConfigSchema.extend({
  PORT: portSchema.default(8081),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  /** Without a key, chat-service talks to llm-sim (or any keyless OpenAI-compatible server). */
  OPENAI_API_KEY: z.string().min(1).optional(),
  /** Defaults to OpenAI with a key, llm-sim without one. */
  OPENAI_BASE_URL: urlSchema.optional(),
  LLM_MODEL: z.string().min(1).default('gpt-4o-mini'),
  LLM_MAX_TOKENS: z.coerce.number().int().min(1).max(32_768).default(512),
  LLM_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.7),
  LLM_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  SAFETY_SERVICE_URL: urlSchema.default('http://127.0.0.1:8082'),
  SAFETY_TIMEOUT_MS: z.coerce.number().int().min(10).default(2_000),
  SAFETY_WINDOW_CHARS: z.coerce.number().int().min(16).max(4_096).default(160),
  /** Characters held back as lookahead so an entity split across windows is seen whole. */
  SAFETY_HOLDBACK_CHARS: z.coerce.number().int().min(0).max(1_024).default(48),
  SAFETY_FLUSH_MS: z.coerce.number().int().min(0).max(10_000).default(100),
  SESSION_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(60).default(1_800),
  HISTORY_MAX_MESSAGES: z.coerce.number().int().min(2).max(1_000).default(40),
  MAX_MESSAGE_CHARS: z.coerce.number().int().min(1).max(100_000).default(4_000),
  SYSTEM_PROMPT_EN: z.string().min(1).optional(),
  SYSTEM_PROMPT_DE: z.string().min(1).optional(),
  SYSTEM_PROMPT_FR: z.string().min(1).optional(),
}).transform((c) => ({
  ...c,
  OPENAI_BASE_URL: c.OPENAI_BASE_URL ?? (c.OPENAI_API_KEY ? 'https://api.openai.com/v1' : 'http://127.0.0.1:8090/v1'),
}));

export type Config = z.output<typeof configSchema>;
