import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type ConfigError } from '@parley/platform';
import { afterAll, describe, expect, it } from 'vitest';
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

describe('gateway config: the admin bootstrap key from a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const issues = (env: Record<string, string>) => {
    try {
      loadConfig(configSchema, env);
    } catch (err) {
      return (err as ConfigError).issues;
    }
    return [];
  };

  it('reads ADMIN_API_KEY_FILE into ADMIN_API_KEY, trimmed', () => {
    const key = 'admin-key-from-a-secret-file-0123456789';
    expect(loadConfig(configSchema, { ...base, ADMIN_API_KEY_FILE: file('ok', `${key}\n`) }).ADMIN_API_KEY).toBe(key);
  });

  it('reports a short, unreadable or doubly set key under ADMIN_API_KEY_FILE, never echoing it', () => {
    const short = issues({ ...base, ADMIN_API_KEY_FILE: file('short', 'too-short-key') });
    expect(short).toEqual(['ADMIN_API_KEY_FILE (its content): must be at least 24 characters']);
    expect(issues({ ...base, ADMIN_API_KEY_FILE: join(dir, 'missing') })).toEqual(['ADMIN_API_KEY_FILE: cannot be read']);
    const both = issues({ ...base, ADMIN_API_KEY: 'admin-key-in-the-environment-0123', ADMIN_API_KEY_FILE: file('both', 'admin-key-from-a-secret-file-0123456789') });
    expect(both).toEqual(['ADMIN_API_KEY_FILE: set ADMIN_API_KEY or ADMIN_API_KEY_FILE, not both']);
    expect(JSON.stringify([short, both])).not.toContain('key-from-a-secret-file');
  });
});
