import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, baseConfigSchema, loadConfig, portSchema, serverConfigSchema } from './config.js';

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

describe('INTERNAL_SECRET_FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const secretFile = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  const issuesOf = (attempt: () => unknown): readonly string[] => {
    try {
      attempt();
    } catch (err) {
      if (err instanceof ConfigError) return err.issues;
      throw err;
    }
    throw new Error('expected a ConfigError');
  };

  it('reads the secret from the file, without the trailing newline that secret files usually end with', () => {
    const path = secretFile('internal-secret', `${secret}\n`);
    expect(loadConfig(schema, { INTERNAL_SECRET_FILE: path }).INTERNAL_SECRET).toBe(secret);
  });

  it('treats an empty INTERNAL_SECRET next to the file as unset, as compose files pass `VAR=`', () => {
    const path = secretFile('with-empty-variable', secret);
    expect(loadConfig(schema, { INTERNAL_SECRET: '', INTERNAL_SECRET_FILE: path }).INTERNAL_SECRET).toBe(secret);
  });

  it('refuses INTERNAL_SECRET and INTERNAL_SECRET_FILE together', () => {
    const path = secretFile('both', secret);
    expect(issuesOf(() => loadConfig(schema, { INTERNAL_SECRET: secret, INTERNAL_SECRET_FILE: path }))).toEqual([
      'INTERNAL_SECRET_FILE: set INTERNAL_SECRET or INTERNAL_SECRET_FILE, not both',
    ]);
  });

  it('says once that a missing file cannot be read, and not also that INTERNAL_SECRET is missing', () => {
    expect(issuesOf(() => loadConfig(schema, { INTERNAL_SECRET_FILE: join(dir, 'absent') }))).toEqual(['INTERNAL_SECRET_FILE: cannot be read']);
  });

  // A directory fails to read even as root (CI), where file modes do not stop reads.
  it('says that a path it cannot read as a file (here a directory) cannot be read', () => {
    expect(issuesOf(() => loadConfig(schema, { INTERNAL_SECRET_FILE: dir }))).toEqual(['INTERNAL_SECRET_FILE: cannot be read']);
  });

  it('applies the same rule to the content as to the variable, naming the file variable and never echoing the content', () => {
    const path = secretFile('short', 'short-secret-in-a-file\n');
    const issues = issuesOf(() => loadConfig(schema, { INTERNAL_SECRET_FILE: path }));
    expect(issues).toEqual(['INTERNAL_SECRET_FILE (its content): must be at least 32 characters']);
    expect(issues.join('\n')).not.toContain('short-secret-in-a-file');
  });

  it('is read only by schemas that declare it (llm-sim and the OTEL_* schema do not)', () => {
    expect(() => loadConfig(serverConfigSchema, { INTERNAL_SECRET_FILE: join(dir, 'absent') })).not.toThrow();
  });

  it('is also read through refinements and transforms, as the gateway wraps its schema', () => {
    const wrapped = schema.superRefine(() => undefined).transform((c) => ({ ...c, wrapped: true }));
    const path = secretFile('wrapped', secret);
    expect(loadConfig(wrapped, { INTERNAL_SECRET_FILE: path })).toMatchObject({ INTERNAL_SECRET: secret, wrapped: true });
  });
});
