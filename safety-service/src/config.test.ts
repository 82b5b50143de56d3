import { ConfigError, loadConfig } from '@parley/platform';
import { describe, expect, it } from 'vitest';
import { configSchema } from './config.js';

const SECRET = 'a-test-internal-secret-of-32-chars!';

describe('config', () => {
  it('defaults to port 8082, 32000 characters and the standard policy preset, without a policy file', () => {
    const config = loadConfig(configSchema, { INTERNAL_SECRET: SECRET });
    expect(config).toMatchObject({ PORT: 8082, MAX_TEXT_CHARS: 32_000, POLICY_PRESET: 'standard', POLICY_RELOAD_INTERVAL_MS: 5000 });
    expect(config.POLICY_FILE).toBeUndefined();
  });

  it('reads overrides from the environment', () => {
    const env = { INTERNAL_SECRET: SECRET, PORT: '9000', MAX_TEXT_CHARS: '1000', POLICY_PRESET: 'strict', POLICY_FILE: '/etc/parley/policy.json' };
    expect(loadConfig(configSchema, env)).toMatchObject({ PORT: 9000, MAX_TEXT_CHARS: 1000, POLICY_PRESET: 'strict', POLICY_FILE: '/etc/parley/policy.json' });
  });

  it('refuses an unknown policy preset', () => {
    expect(() => loadConfig(configSchema, { INTERNAL_SECRET: SECRET, POLICY_PRESET: 'paranoid' })).toThrow(/POLICY_PRESET/);
  });

  it('fails fast, naming the variable but not echoing its value', () => {
    const attempt = () => loadConfig(configSchema, { INTERNAL_SECRET: 'short', MAX_TEXT_CHARS: 'lots' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/INTERNAL_SECRET/);
    expect(attempt).toThrow(/MAX_TEXT_CHARS/);
    expect(attempt).not.toThrow(/short/);
  });

  it('takes an optional SAFETY_AUDIT_SALT of at least 32 characters, without echoing a short one', () => {
    expect(loadConfig(configSchema, { INTERNAL_SECRET: SECRET }).SAFETY_AUDIT_SALT).toBeUndefined();
    expect(loadConfig(configSchema, { INTERNAL_SECRET: SECRET, SAFETY_AUDIT_SALT: 's'.repeat(32) }).SAFETY_AUDIT_SALT).toBe('s'.repeat(32));
    const attempt = () => loadConfig(configSchema, { INTERNAL_SECRET: SECRET, SAFETY_AUDIT_SALT: 'tiny-salt' });
    expect(attempt).toThrow(/SAFETY_AUDIT_SALT/);
    expect(attempt).not.toThrow(/tiny-salt/);
  });
});
