import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, baseConfigSchema, loadConfig, portSchema } from './config.js';

const schema = baseConfigSchema.extend({ PORT: portSchema.default(8080), DEBUG: z.stringbool().default(false) });
const secret = 'x'.repeat(32);

describe('loadConfig', () => {
  it('applies defaults and coerces numbers and booleans from strings', () => {
    const config = loadConfig(schema, { INTERNAL_SECRET: secret, DEBUG: 'false', SHUTDOWN_DRAIN_MS: '2500' });
    expect(config).toMatchObject({ PORT: 8080, DEBUG: false, SHUTDOWN_DRAIN_MS: 2500, LOG_LEVEL: 'info', HOST: '0.0.0.0' });
  });

  it('treats an empty variable as unset, as compose files pass `VAR=`', () => {
    expect(loadConfig(schema, { INTERNAL_SECRET: secret, PORT: '', LOG_LEVEL: '' })).toMatchObject({ PORT: 8080, LOG_LEVEL: 'info' });
  });

  it('fails fast with one readable line per problem and never echoes secret values', () => {
    let error: unknown;
    try {
      loadConfig(schema, { INTERNAL_SECRET: 'short-secret-value', PORT: 'eighty', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/^Invalid configuration:/);
    expect(message).toMatch(/PORT: /);
    expect(message).toMatch(/LOG_LEVEL: /);
    expect(message).toMatch(/INTERNAL_SECRET: must be at least 32 characters/);
    expect(message).not.toContain('short-secret-value');
    expect((error as ConfigError).issues).toHaveLength(3);
  });
});
