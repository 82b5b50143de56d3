import { ConfigError, loadConfig } from '@parley/platform';
import { describe, expect, it } from 'vitest';
import { configSchema, settingsFromConfig } from './config.js';

describe('configSchema', () => {
  it('starts with no environment at all: no INTERNAL_SECRET, port 8090, realistic timing', () => {
    const config = loadConfig(configSchema, {});
    expect(config).toMatchObject({
      PORT: 8090,
      HOST: '0.0.0.0',
      LLM_SIM_MODELS: ['gpt-4o-mini', 'llm-sim-1'],
      LLM_SIM_STRICT_MODELS: false,
      LLM_SIM_FAULT_RATES: {},
    });
    expect(config.LLM_SIM_API_KEY).toBeUndefined();
    expect(settingsFromConfig(config)).toEqual({
      ttft_ms: 250,
      tokens_per_second: 40,
      latency_ms: null,
      reply_tokens: 40,
      fault_rates: {},
      retry_after_ms: 1000,
      stall_after: 3,
      cut_after: 3,
      seed: 1,
    });
  });

  it('reads every LLM_SIM_* variable', () => {
    const config = loadConfig(configSchema, {
      PORT: '9000',
      LLM_SIM_API_KEY: 'sk-test',
      LLM_SIM_MODELS: 'a, b:1 ,c',
      LLM_SIM_STRICT_MODELS: 'true',
      LLM_SIM_TTFT_MS: '10',
      LLM_SIM_TOKENS_PER_SECOND: '12.5',
      LLM_SIM_LATENCY_MS: '30',
      LLM_SIM_REPLY_TOKENS: '7',
      LLM_SIM_FAULT_RATES: '429=10, 500=5%,timeout=1',
      LLM_SIM_SEED: '42',
    });
    expect(config).toMatchObject({ PORT: 9000, LLM_SIM_API_KEY: 'sk-test', LLM_SIM_MODELS: ['a', 'b:1', 'c'] });
    expect(settingsFromConfig(config)).toMatchObject({
      ttft_ms: 10,
      tokens_per_second: 12.5,
      latency_ms: 30,
      reply_tokens: 7,
      fault_rates: { '429': 10, '500': 5, timeout: 1 },
      seed: 42,
    });
  });

  it('treats empty variables as unset', () => {
    const config = loadConfig(configSchema, { LLM_SIM_API_KEY: '', LLM_SIM_LATENCY_MS: '', PORT: '', LLM_SIM_STRICT_MODELS: '' });
    expect(config.LLM_SIM_API_KEY).toBeUndefined();
    expect(config.LLM_SIM_LATENCY_MS).toBeUndefined();
    expect(config.PORT).toBe(8090);
  });

  it('fails fast with one readable line per problem', () => {
    let error: unknown;
    try {
      loadConfig(configSchema, {
        LLM_SIM_FAULT_RATES: '429=80,500=30',
        LLM_SIM_TTFT_MS: 'soon',
        LLM_SIM_STRICT_MODELS: 'maybe',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues.join('\n');
    expect(issues).toMatch(/LLM_SIM_FAULT_RATES: fault rates add up to more than 100%/);
    expect(issues).toMatch(/LLM_SIM_TTFT_MS/);
    expect(issues).toMatch(/LLM_SIM_STRICT_MODELS/);
  });

  it('rejects unknown fault kinds and bad numbers in LLM_SIM_FAULT_RATES', () => {
    expect(() => loadConfig(configSchema, { LLM_SIM_FAULT_RATES: 'explode=5' })).toThrow(/fault rate keys/);
    expect(() => loadConfig(configSchema, { LLM_SIM_FAULT_RATES: '429=lots' })).toThrow(/LLM_SIM_FAULT_RATES/);
    expect(() => loadConfig(configSchema, { LLM_SIM_FAULT_RATES: '200=5' })).toThrow(/fault rate keys/);
  });
});
