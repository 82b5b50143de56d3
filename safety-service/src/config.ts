import { baseConfigSchema, portSchema, promptConfigShape } from '@parley/platform';
import { z } from 'zod';
import { POLICY_PRESETS } from './domain/policy.js';

export const DEFAULT_MAX_TEXT_CHARS = 32_000;

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
  /** SYSTEM_PROMPT_EN/_DE/_FR, CHAT_PERSONA, PROMPT_CANARY: the values chat-service sends, recognised in replies. */
  ...promptConfigShape,
});

export type Config = z.output<typeof configSchema>;
