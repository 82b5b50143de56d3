import { z } from 'zod';
import { baseConfigSchema, portSchema, urlSchema } from '@parley/platform';

export const configSchema = baseConfigSchema.extend({
  PORT: portSchema.default(8080),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  CHAT_SERVICE_URL: urlSchema.default('http://127.0.0.1:8081'),
  /** The built UI; defaults to the workspace's web/dist. */
  WEB_DIST_DIR: z.string().min(1).optional(),
  SESSION_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(60).default(1_800),
  MAX_MESSAGE_CHARS: z.coerce.number().int().min(1).max(100_000).default(4_000),
  MAX_BODY_BYTES: z.coerce.number().int().min(1_024).default(64 * 1024),
  FEEDBACK_ENABLED: z.stringbool().default(false),
  CONSENT_MODE: z.enum(['none', 'notice', 'opt_in']).default('none'),
});

export type Config = z.output<typeof configSchema>;
