import { ConfigError, loadConfig } from '@parley/platform';
import { describe, expect, it } from 'vitest';
import { configSchema } from './config.js';

const SECRET = 'a-test-internal-secret-of-32-chars!';

describe('config', () => {
  it('defaults to port 8082, 32000 characters and the built-in policy version', () => {
    const config = loadConfig(configSchema, { INTERNAL_SECRET: SECRET });
    expect(config).toMatchObject({ PORT: 8082, MAX_TEXT_CHARS: 32_000, POLICY_VERSION: 'default.v1' });
  });

  it('reads overrides from the environment', () => {
    const config = loadConfig(configSchema, { INTERNAL_SECRET: SECRET, PORT: '9000', MAX_TEXT_CHARS: '1000', POLICY_VERSION: 'eu.v3' });
    expect(config).toMatchObject({ PORT: 9000, MAX_TEXT_CHARS: 1000, POLICY_VERSION: 'eu.v3' });
  });

  it('fails fast, naming the variable but not echoing its value', () => {
    const attempt = () => loadConfig(configSchema, { INTERNAL_SECRET: 'short', MAX_TEXT_CHARS: 'lots' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/INTERNAL_SECRET/);
    expect(attempt).toThrow(/MAX_TEXT_CHARS/);
    expect(attempt).not.toThrow(/short/);
  });
});
