import { z } from 'zod';

/** Keys of `fault_rates`: an HTTP error status (400-599) or a connection-level fault. */
export const FAULT_RATE_KEY = /^(?:[45]\d\d|timeout|reset|stall|cut)$/;

export const faultRatesSchema = z
  .record(z.string(), z.number().min(0).max(100))
  .superRefine((rates, ctx) => {
    for (const key of Object.keys(rates)) {
      if (!FAULT_RATE_KEY.test(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'fault rate keys are an HTTP status 400-599 or timeout, reset, stall, cut',
        });
      }
    }
    if (Object.values(rates).reduce((a, b) => a + b, 0) > 100) {
      ctx.addIssue({ code: 'custom', message: 'fault rates add up to more than 100%' });
    }
  });

export type FaultRates = z.output<typeof faultRatesSchema>;

/** Parses the env form `429=10,500=5,timeout=1` (percent per fault kind); zod validates the result. */
export function parseFaultRates(text: string): Record<string, number> {
  const rates: Record<string, number> = {};
  for (const item of text.split(/[,;]/)) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const [key = '', value = ''] = trimmed.split('=', 2).map((s) => s.trim());
    const number = value === '' ? Number.NaN : Number(value.replace(/%$/, ''));
    // NaN fails the schema's number check with a readable message.
    rates[key] = number;
  }
  return rates;
}

const ms = z.number().int().min(0).max(600_000);

/** Runtime settings: start from env, changed by PUT /_sim/config, restored by POST /_sim/reset. */
export const settingsSchema = z.object({
  /** Delay before a stream's first content chunk. */
  ttft_ms: ms,
  /** Pace of content chunks after the first; 0 sends them as fast as the socket takes them. */
  tokens_per_second: z.number().min(0).max(1_000_000),
  /** Delay of a non-streamed answer; null derives it from ttft_ms and tokens_per_second. */
  latency_ms: ms.nullable(),
  /** Length of a generated reply in tokens (a token is roughly a word). */
  reply_tokens: z.number().int().min(1).max(100_000),
  /** Percent of requests that fail, per fault kind, drawn from a PRNG seeded with `seed`. */
  fault_rates: faultRatesSchema,
  /** Retry-After of injected 429/503 answers unless the fault says otherwise. */
  retry_after_ms: z.number().int().min(0).max(3_600_000),
  /** Content chunks sent before a stall or cut that does not say how many. */
  stall_after: z.number().int().min(0).max(100_000),
  cut_after: z.number().int().min(0).max(100_000),
  seed: z.number().int().min(0).max(0xffff_ffff),
});

export type SimSettings = z.output<typeof settingsSchema>;

/** Body of PUT /_sim/config: any subset of the settings, plus `fail_next`. */
export const settingsPatchSchema = settingsSchema.partial().extend({
  /** The next `count` chat completions fail with `fault` (fault syntax as in x-llm-sim-fault); null or 0 clears. */
  fail_next: z
    .object({ count: z.number().int().min(0).max(1_000_000), fault: z.string().min(1).max(200) })
    .strict()
    .nullable()
    .optional(),
}).strict();

export type SimSettingsPatch = z.input<typeof settingsPatchSchema>;
