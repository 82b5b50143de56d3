import { baseConfigSchema, portSchema } from '@parley/platform';
import { z } from 'zod';
import { DEFAULT_POLICY } from './domain/policy.js';

export const DEFAULT_MAX_TEXT_CHARS = 32_000;

export const configSchema = baseConfigSchema.extend({
  PORT: portSchema.default(8082),
  /** Longest `text` accepted, in UTF-16 code units (what String.length counts). */
  MAX_TEXT_CHARS: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_MAX_TEXT_CHARS),
  /** Reported as `policy_version` in every decision; names the policy in force. */
  POLICY_VERSION: z.string().trim().min(1).max(64).default(DEFAULT_POLICY.version),
});

export type Config = z.output<typeof configSchema>;
