import { z } from 'zod';
import type { Usage } from '../domain/ports.js';

export const priceSchema = z.strictObject({
  input_usd_per_mtok: z.number().min(0),
  output_usd_per_mtok: z.number().min(0),
});
/** `LLM_PRICES`: US dollars per million tokens, per configured model name. */
export const priceTableSchema = z.record(z.string().min(1), priceSchema);
export type PriceTable = z.output<typeof priceTableSchema>;

/** Cost of one call in US dollars; a model missing from the table uses `fallback` (the operator's default price). */
export function costUsd(table: PriceTable, fallback: z.output<typeof priceSchema>, model: string, usage: Usage): number {
  const price = table[model] ?? fallback;
  return (usage.input_tokens * price.input_usd_per_mtok + usage.output_tokens * price.output_usd_per_mtok) / 1_000_000;
}
