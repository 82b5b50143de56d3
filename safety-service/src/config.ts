import { baseConfigSchema, portSchema, promptConfigShape, urlSchema } from '@parley/platform';
import { z } from 'zod';
import { POLICY_PRESETS } from './domain/policy.js';

export const DEFAULT_MAX_TEXT_CHARS = 32_000;

export const CLASSIFIER_KINDS = ['off', 'openai'] as const;
export const OPENAI_BASE_URL_DEFAULT = 'https://api.openai.com/v1';
/** llm-sim on this machine: the classifier's endpoint when no API key is configured (ARCHITECTURE.md: "Without ... an API key"). */
export const LLM_SIM_BASE_URL_DEFAULT = 'http://127.0.0.1:8090/v1';

export const configSchema = baseConfigSchema.extend({
  PORT: portSchema.default(8082),
  /** Longest `text` accepted, in UTF-16 code units (what String.length counts). */
  MAX_TEXT_CHARS: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_MAX_TEXT_CHARS),
  /** Strictness preset (safety-service/policies/<name>.json), a per-deployment feature flag. */
  POLICY_PRESET: z.enum(POLICY_PRESETS).default('standard'),
  /** An operator's policy file; takes precedence over POLICY_PRESET (the file may `extends` a preset) and is reloaded when it changes. */
  POLICY_FILE: z.string().trim().min(1).optional(),
  /** How often POLICY_FILE is re-read; a changed, valid file replaces the policy without a restart. */
  POLICY_RELOAD_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(5000),
  /** Keys the match hashes in decision records (a secret). Default: derived from INTERNAL_SECRET. */
  SAFETY_AUDIT_SALT: z.string().min(32, 'must be at least 32 characters').optional(),
  /** An optional model-based second opinion after the deterministic engine (issue 5); off by default. */
  SAFETY_CLASSIFIER: z.enum(CLASSIFIER_KINDS).default('off'),
  /** OpenAI-compatible base URL. Default: OpenAI's when an API key is set, else llm-sim's (see resolveClassifierEndpoint). */
  SAFETY_CLASSIFIER_URL: urlSchema.optional(),
  /** The classifier's key; falls back to OPENAI_API_KEY. */
  SAFETY_CLASSIFIER_API_KEY: z.string().trim().min(1).optional(),
  OPENAI_API_KEY: z.string().trim().min(1).optional(),
  SAFETY_CLASSIFIER_MODEL: z.string().trim().min(1).max(256).default('omni-moderation-latest'),
  /** Per-call deadline (an AbortSignal per call); past it the deterministic decision stands. */
  SAFETY_CLASSIFIER_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(800),
  /** A category scoring at least this becomes a finding. */
  SAFETY_CLASSIFIER_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),
  /** Answers cached per SHA-256 of the text: at most this many entries (0 turns the cache off)... */
  SAFETY_CLASSIFIER_CACHE_SIZE: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
  /** ...each for this long. */
  SAFETY_CLASSIFIER_CACHE_TTL_MS: z.coerce.number().int().min(0).max(86_400_000).default(600_000),
  /** SYSTEM_PROMPT_EN/_DE/_FR, CHAT_PERSONA, PROMPT_CANARY: the values chat-service sends, recognised in replies. */
  ...promptConfigShape,
});

export type Config = z.output<typeof configSchema>;

export interface ClassifierEndpoint {
  baseURL: string;
  /** undefined for llm-sim, which takes any key. */
  apiKey: string | undefined;
  /** Where the URL came from, for the start log. */
  source: 'configured' | 'openai' | 'llm-sim';
}

/**
 * SAFETY_CLASSIFIER_URL when set; otherwise OpenAI's endpoint when a key (SAFETY_CLASSIFIER_API_KEY,
 * else OPENAI_API_KEY) is configured, and llm-sim's without one, as chat-service does for the LLM.
 */
export function resolveClassifierEndpoint(config: Config): ClassifierEndpoint {
  const apiKey = config.SAFETY_CLASSIFIER_API_KEY ?? config.OPENAI_API_KEY;
  if (config.SAFETY_CLASSIFIER_URL) return { baseURL: config.SAFETY_CLASSIFIER_URL, apiKey, source: 'configured' };
  if (apiKey) return { baseURL: OPENAI_BASE_URL_DEFAULT, apiKey, source: 'openai' };
  return { baseURL: LLM_SIM_BASE_URL_DEFAULT, apiKey: undefined, source: 'llm-sim' };
}
