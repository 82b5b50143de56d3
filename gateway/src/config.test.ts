import { describe, expect, it } from 'vitest';
import { configSchema } from './config.js';

const base = { INTERNAL_SECRET: 'gateway-config-test-secret-0123456789abcdef' };

describe('gateway config: the UI settings', () => {
  it('defaults to asking for consent unless the host page has its own manager, and no privacy link', () => {
    const config = configSchema.parse(base);
    expect(config.CONSENT_MODE).toBe('auto');
    expect(config.PRIVACY_URL).toBeUndefined();
  });

  it('takes the widget\'s consent vocabulary and an http(s) privacy link', () => {
    const config = configSchema.parse({ ...base, CONSENT_MODE: 'auto', PRIVACY_URL: 'https://example.com/privacy' });
    expect(config).toMatchObject({ CONSENT_MODE: 'auto', PRIVACY_URL: 'https://example.com/privacy' });
  });

  it('refuses other consent modes and links that are not http(s)', () => {
    expect(configSchema.safeParse({ ...base, CONSENT_MODE: 'opt_in' }).success).toBe(false);
    expect(configSchema.safeParse({ ...base, PRIVACY_URL: 'javascript:alert(1)' }).success).toBe(false);
    expect(configSchema.safeParse({ ...base, PRIVACY_URL: 'ftp://example.com/privacy' }).success).toBe(false);
  });
});
