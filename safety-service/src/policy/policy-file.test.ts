import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cards, fakeSecrets } from '../../test/fixtures.js';
import { createModerator } from '../domain/engine.js';
import { DEFAULT_POLICY, POLICY_PRESETS, PolicyError } from '../domain/policy.js';
import { loadPolicy, loadPreset } from './policy-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-policy-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('presets', () => {
  it('standard is DEFAULT_POLICY, version included', async () => {
    const { description, ...standard } = await loadPreset('standard');
    expect(description).toEqual(expect.any(String));
    expect(standard).toEqual(DEFAULT_POLICY);
  });

  it('every preset loads, with its own version', async () => {
    const versions = await Promise.all(POLICY_PRESETS.map(async (name) => (await loadPreset(name)).version));
    expect(versions).toEqual(['relaxed.v1', 'default.v1', 'strict.v1']);
  });

  it('strict blocks the card and key standard redacts; relaxed flags the email standard redacts from a user', async () => {
    const [relaxed, standard, strict] = await Promise.all(POLICY_PRESETS.map(async (name) => createModerator({ policy: await loadPreset(name) })));
    const card = { text: `pay with ${cards.visa}`, direction: 'input' } as const;
    expect(standard!.moderate(card)).toMatchObject({ action: 'redact', text: 'pay with [CREDIT_CARD]' });
    expect(strict!.moderate(card)).toMatchObject({ action: 'block', policy_version: 'strict.v1' });
    expect(strict!.moderate({ text: `key ${fakeSecrets.stripe}`, direction: 'output' }).action).toBe('block');

    const email = { text: 'I am jane@example.com', direction: 'input' } as const;
    expect(standard!.moderate(email).action).toBe('redact');
    expect(relaxed!.moderate(email)).toMatchObject({ action: 'allow', text: email.text, policy_version: 'relaxed.v1' });
    expect(relaxed!.moderate(email).findings.map((f) => f.category)).toEqual(['pii.email']);
    expect(relaxed!.moderate({ ...email, direction: 'output' }).action).toBe('redact');
  });
});

describe('POLICY_FILE', () => {
  it('extends a preset: its entries replace the preset’s, the rest is inherited, its version is reported', async () => {
    const file = join(dir, 'policy.json');
    await writeFile(
      file,
      JSON.stringify({
        extends: 'strict',
        version: 'acme.2025-06',
        rules: { 'pii.email': { input: 'flag', output: 'redact' } },
        custom: { codenames: { terms: ['Bluebird'], input: 'block', output: 'redact', placeholder: '[CODENAME]' } },
        allow_list: { 'pii.email': ['support@acme.example'] },
      }),
    );
    const { policy, fileText } = await loadPolicy({ preset: 'standard', file });
    expect(fileText).toContain('acme.2025-06');
    expect(policy.version).toBe('acme.2025-06');
    expect(policy.rules['pii.email']).toEqual({ input: 'flag', output: 'redact' });
    expect(policy.rules['pii.credit_card']).toEqual({ input: 'block', output: 'block' });
    const engine = createModerator({ policy });
    expect(engine.moderate({ text: 'Bluebird ships; ask support@acme.example', direction: 'output' })).toMatchObject({
      action: 'redact',
      text: '[CODENAME] ships; ask support@acme.example',
      policy_version: 'acme.2025-06',
    });
  });

  it('a file without extends is a complete policy and must have rules', async () => {
    const file = join(dir, 'policy.json');
    await writeFile(file, JSON.stringify({ version: 'mine.v1', placeholders: {} }));
    await expect(loadPolicy({ preset: 'standard', file })).rejects.toThrow(/rules: required unless the file `extends` a preset/);
  });

  it('refuses a bad file naming the file and the path, an unknown preset, bad JSON and a missing file', async () => {
    const file = join(dir, 'policy.json');
    await writeFile(file, JSON.stringify({ extends: 'lenient', version: 'x', rules: { 'pii.email': { input: 'redact' } } }));
    const error = await loadPolicy({ preset: 'standard', file }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).message).toContain(`Invalid policy ${file}:`);
    expect([...(error as PolicyError).issues].sort()).toEqual([
      'extends: Invalid option: expected one of "relaxed"|"standard"|"strict"',
      'rules["pii.email"].output: Invalid option: expected one of "allow"|"flag"|"redact"|"block"|"off"',
    ]);

    await writeFile(file, '{ "version": "x", ');
    await expect(loadPolicy({ preset: 'standard', file })).rejects.toThrow(/not valid JSON/);
    await expect(loadPolicy({ preset: 'standard', file: join(dir, 'missing.json') })).rejects.toThrow(/cannot be read \(ENOENT\)/);
  });
});
