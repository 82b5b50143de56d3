import { portSchema, serverConfigSchema } from '@parley/platform';
import { z } from 'zod';
import { faultRatesSchema, parseFaultRates, type SimSettings } from './settings.js';

const nonNegativeInt = (max: number) => z.coerce.number().int().min(0).max(max);

/**
 * llm-sim stands in for an external provider, so unlike Parley's services it needs no
 * INTERNAL_SECRET: it extends serverConfigSchema, not baseConfigSchema.
 */
export const configSchema = serverConfigSchema.extend({
  PORT: portSchema.default(8090),
  /** When set, /v1/* requires `Authorization: Bearer <key>`; otherwise any key (or none) is accepted. */
  LLM_SIM_API_KEY: z.string().min(1).optional(),
  /** When set, /_sim/* requires `Authorization: Bearer <key>`; otherwise the admin API is open. */
  LLM_SIM_ADMIN_KEY: z.string().min(1).optional(),
  /** Comma-separated model ids listed by GET /v1/models. */
  LLM_SIM_MODELS: z
    .string()
    .transform((s) => s.split(',').map((m) => m.trim()).filter((m) => m.length > 0))
    .pipe(z.array(z.string().regex(/^[\w.:-]+$/, 'model ids are letters, digits, . _ : -')).min(1))
    .prefault('gpt-4o-mini,llm-sim-1'),
  /** Answer 404 model_not_found for models not in LLM_SIM_MODELS (OpenAI's behaviour). */
  LLM_SIM_STRICT_MODELS: z.stringbool().default(false),
  LLM_SIM_TTFT_MS: nonNegativeInt(600_000).default(250),
  /** 0 sends every token at once. */
  LLM_SIM_TOKENS_PER_SECOND: z.coerce.number().min(0).max(1_000_000).default(40),
  /** Delay of a non-streamed answer; unset means "as long as the stream would take". */
  LLM_SIM_LATENCY_MS: nonNegativeInt(600_000).optional(),
  LLM_SIM_REPLY_TOKENS: z.coerce.number().int().min(1).max(100_000).default(40),
  /** Percent of requests failing per fault kind, e.g. `429=10,500=5,timeout=1`. */
  LLM_SIM_FAULT_RATES: z.string().transform(parseFaultRates).pipe(faultRatesSchema).prefault(''),
  /** Retry-After of injected 429/503 answers unless the fault says otherwise. */
  LLM_SIM_RETRY_AFTER_MS: nonNegativeInt(3_600_000).default(1_000),
  /** Content chunks sent before a rate-drawn stall or cut. */
  LLM_SIM_STALL_AFTER: nonNegativeInt(100_000).default(3),
  LLM_SIM_CUT_AFTER: nonNegativeInt(100_000).default(3),
  /** Seed of the PRNG that draws rate-based faults: the same seed gives the same sequence. */
  LLM_SIM_SEED: z.coerce.number().int().min(0).max(0xffff_ffff).default(1),
});

export type SimConfig = z.output<typeof configSchema>;

/** The runtime-adjustable settings a freshly started (or reset) simulator uses. */
export function settingsFromConfig(config: SimConfig): SimSettings {
  return {
    ttft_ms: config.LLM_SIM_TTFT_MS,
    tokens_per_second: config.LLM_SIM_TOKENS_PER_SECOND,
    latency_ms: config.LLM_SIM_LATENCY_MS ?? null,
    reply_tokens: config.LLM_SIM_REPLY_TOKENS,
    fault_rates: config.LLM_SIM_FAULT_RATES,
    retry_after_ms: config.LLM_SIM_RETRY_AFTER_MS,
    stall_after: config.LLM_SIM_STALL_AFTER,
    cut_after: config.LLM_SIM_CUT_AFTER,
    seed: config.LLM_SIM_SEED,
  };
}
