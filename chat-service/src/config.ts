import { z } from 'zod';
import { baseConfigSchema, portSchema, promptConfigShape, urlSchema } from '@parley/platform';
import { priceTableSchema } from './llm/pricing.js';

/** A JSON value in an environment variable, validated by `schema`. */
const jsonEnv = <S extends z.ZodType>(schema: S) =>
  z.string().transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be valid JSON' });
      return z.NEVER;
    }
  }).pipe(schema);

const commaList = z.string().transform((raw) => raw.split(',').map((s) => s.trim()).filter(Boolean));

/** One entry of the fallback chain: another model, at the same provider or another OpenAI-compatible one. */
const fallbackSchema = z.strictObject({
  model: z.string().min(1),
  /** `gen_ai.provider.name` and part of the breaker's name; defaults to LLM_PROVIDER. */
  provider: z.string().min(1).regex(/^[a-z0-9_.-]+$/).optional(),
  base_url: urlSchema.optional(),
  /** Name of the environment variable holding this provider's key (keys never sit in this JSON). */
  api_key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
});

const ms = (min: number) => z.coerce.number().int().min(min);

export const configSchema = baseConfigSchema.extend({
  PORT: portSchema.default(8081),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  /** Without a key, chat-service talks to llm-sim (or any keyless OpenAI-compatible server). */
  OPENAI_API_KEY: z.string().min(1).optional(),
  /** Defaults to OpenAI with a key, llm-sim without one. */
  OPENAI_BASE_URL: urlSchema.optional(),
  /** `gen_ai.provider.name` of OPENAI_BASE_URL (openai, azure.ai.openai, or any name for a compatible server). */
  LLM_PROVIDER: z.string().min(1).regex(/^[a-z0-9_.-]+$/).optional(),
  LLM_MODEL: z.string().min(1).default('gpt-4o-mini'),
  /** Models OpenAI-compatible API callers may name (comma-separated); LLM_MODEL is always one. */
  LLM_MODELS: commaList.optional(),
  /** Ordered fallback chain as JSON: [{"model":"gpt-4.1-mini"},{"model":"llama3","provider":"ollama","base_url":"http://ollama:11434/v1"}]. */
  LLM_FALLBACKS: jsonEnv(z.array(fallbackSchema).max(5)).default([]),
  LLM_MAX_TOKENS: z.coerce.number().int().min(1).max(32_768).default(512),
  LLM_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.7),
  /** The model's context window: history is cut so that prompt + max tokens fit. */
  LLM_CONTEXT_TOKENS: z.coerce.number().int().min(1_024).default(128_000),
  /** One attempt; for a stream, until its first chunk. */
  LLM_TIMEOUT_MS: ms(100).default(30_000),
  /** The whole call: retries, fallbacks and a stream's last chunk included. */
  LLM_DEADLINE_MS: ms(100).default(120_000),
  LLM_STREAM_IDLE_TIMEOUT_MS: ms(100).default(20_000),
  LLM_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  LLM_RETRY_BASE_MS: ms(1).default(250),
  LLM_RETRY_MAX_MS: ms(1).default(4_000),
  /** A provider's Retry-After longer than this is not waited for: the next model is tried instead. */
  LLM_MAX_RETRY_AFTER_MS: ms(0).default(10_000),
  BREAKER_ERROR_THRESHOLD_PERCENT: z.coerce.number().min(1).max(100).default(50),
  BREAKER_VOLUME_THRESHOLD: z.coerce.number().int().min(1).default(10),
  BREAKER_RESET_TIMEOUT_MS: ms(100).default(15_000),
  BREAKER_WINDOW_MS: ms(1_000).default(30_000),
  /** US dollars per million tokens per model, as JSON: {"gpt-4o-mini":{"input_usd_per_mtok":0.15,"output_usd_per_mtok":0.6}}. */
  LLM_PRICES: jsonEnv(priceTableSchema).default({}),
  /** The price of a model missing from LLM_PRICES. */
  LLM_DEFAULT_INPUT_USD_PER_MTOK: z.coerce.number().min(0).default(0.15),
  LLM_DEFAULT_OUTPUT_USD_PER_MTOK: z.coerce.number().min(0).default(0.6),
  /** Opt-in: message text in spans (gen_ai.input.messages / gen_ai.output.messages). Off: no text leaves in telemetry. */
  LLM_CAPTURE_CONTENT: z.stringbool().default(false),
  /** When every model fails, answer this (marked degraded) instead of a 503; per language, all or none. */
  LLM_FALLBACK_MESSAGE_EN: z.string().min(1).optional(),
  LLM_FALLBACK_MESSAGE_DE: z.string().min(1).optional(),
  LLM_FALLBACK_MESSAGE_FR: z.string().min(1).optional(),
  SAFETY_SERVICE_URL: urlSchema.default('http://127.0.0.1:8082'),
  SAFETY_TIMEOUT_MS: z.coerce.number().int().min(10).default(2_000),
  SAFETY_WINDOW_CHARS: z.coerce.number().int().min(16).max(4_096).default(160),
  /** Characters held back as lookahead so an entity split across windows is seen whole. */
  SAFETY_HOLDBACK_CHARS: z.coerce.number().int().min(0).max(1_024).default(48),
  SAFETY_FLUSH_MS: z.coerce.number().int().min(0).max(10_000).default(100),
  SESSION_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(60).default(1_800),
  /** Keep conversations this long after their last use, for troubleshooting; 0 (default): gone with the session. */
  CONVERSATION_RETENTION_SECONDS: z.coerce.number().int().min(0).max(90 * 86_400).default(0),
  HISTORY_MAX_MESSAGES: z.coerce.number().int().min(2).max(1_000).default(40),
  MAX_MESSAGE_CHARS: z.coerce.number().int().min(1).max(100_000).default(4_000),
  /** Thumbs up/down on replies; the gateway has the same switch (set both). Off: new ratings get 404; export and erasure still cover stored ones. */
  FEEDBACK_ENABLED: z.stringbool().default(false),
  FEEDBACK_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(90),
  FEEDBACK_COMMENT_MAX_CHARS: z.coerce.number().int().min(1).max(10_000).default(1_000),
  /** SYSTEM_PROMPT_EN/_DE/_FR, CHAT_PERSONA, PROMPT_CANARY: shared with safety-service, which recognises them in replies. */
  ...promptConfigShape,
}).superRefine((c, ctx) => {
  const messages = [c.LLM_FALLBACK_MESSAGE_EN, c.LLM_FALLBACK_MESSAGE_DE, c.LLM_FALLBACK_MESSAGE_FR].filter((m) => m !== undefined);
  if (messages.length !== 0 && messages.length !== 3) {
    ctx.addIssue({ code: 'custom', path: ['LLM_FALLBACK_MESSAGE_EN'], message: 'set LLM_FALLBACK_MESSAGE_EN, _DE and _FR together, or none' });
  }
  if (c.LLM_MAX_TOKENS >= c.LLM_CONTEXT_TOKENS) ctx.addIssue({ code: 'custom', path: ['LLM_MAX_TOKENS'], message: 'must be below LLM_CONTEXT_TOKENS' });
}).transform((c) => ({
  ...c,
  OPENAI_BASE_URL: c.OPENAI_BASE_URL ?? (c.OPENAI_API_KEY ? 'https://api.openai.com/v1' : 'http://127.0.0.1:8090/v1'),
  LLM_PROVIDER: c.LLM_PROVIDER ?? (c.OPENAI_API_KEY ? 'openai' : 'llm-sim'),
  LLM_MODELS: [...new Set([c.LLM_MODEL, ...(c.LLM_MODELS ?? [])])],
}));

export type Config = z.output<typeof configSchema>;
