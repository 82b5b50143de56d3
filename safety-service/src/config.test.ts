import { ConfigError, loadConfig } from '@parley/platform';
import { describe, expect, it } from 'vitest';
import { LLM_SIM_BASE_URL_DEFAULT, OPENAI_BASE_URL_DEFAULT, configSchema, resolveClassifierEndpoint } from './config.js';

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

describe('config: the model classifier', () => {
  it('is off by default, with omni-moderation-latest, 800 ms, threshold 0.5 and a 10,000-entry, 10-minute cache', () => {
    expect(loadConfig(configSchema, { INTERNAL_SECRET: SECRET })).toMatchObject({
      SAFETY_CLASSIFIER: 'off',
      SAFETY_CLASSIFIER_MODEL: 'omni-moderation-latest',
      SAFETY_CLASSIFIER_TIMEOUT_MS: 800,
      SAFETY_CLASSIFIER_THRESHOLD: 0.5,
      SAFETY_CLASSIFIER_CACHE_SIZE: 10_000,
      SAFETY_CLASSIFIER_CACHE_TTL_MS: 600_000,
    });
  });

  it('talks to llm-sim without a key, to OpenAI with one, and to SAFETY_CLASSIFIER_URL when set', () => {
    const base = { INTERNAL_SECRET: SECRET, SAFETY_CLASSIFIER: 'openai' };
    expect(resolveClassifierEndpoint(loadConfig(configSchema, base))).toEqual({ baseURL: LLM_SIM_BASE_URL_DEFAULT, apiKey: undefined, source: 'llm-sim' });
    expect(resolveClassifierEndpoint(loadConfig(configSchema, { ...base, OPENAI_API_KEY: 'k1' }))).toEqual({ baseURL: OPENAI_BASE_URL_DEFAULT, apiKey: 'k1', source: 'openai' });
    expect(
      resolveClassifierEndpoint(loadConfig(configSchema, { ...base, OPENAI_API_KEY: 'k1', SAFETY_CLASSIFIER_API_KEY: 'k2', SAFETY_CLASSIFIER_URL: 'http://mod.internal/v1' })),
    ).toEqual({ baseURL: 'http://mod.internal/v1', apiKey: 'k2', source: 'configured' });
  });

  it('refuses an unknown classifier and a threshold above 1', () => {
    expect(() => loadConfig(configSchema, { INTERNAL_SECRET: SECRET, SAFETY_CLASSIFIER: 'llama' })).toThrow(/SAFETY_CLASSIFIER/);
    expect(() => loadConfig(configSchema, { INTERNAL_SECRET: SECRET, SAFETY_CLASSIFIER_THRESHOLD: '1.5' })).toThrow(/SAFETY_CLASSIFIER_THRESHOLD/);
  });
});
