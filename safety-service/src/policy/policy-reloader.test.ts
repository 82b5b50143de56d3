import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Health, IDENTITY_HEADER, createIdentitySigner, createIdentityVerifier, createLogger, createMetrics } from '@parley/platform';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SAFETY_SERVICE_AUDIENCE, createApp } from '../app.js';
import { createModerator } from '../domain/engine.js';
import { loadPolicy } from './policy-file.js';
import { createModeratorHolder, createPolicyMetrics, startPolicyReloader, type PolicyReloader } from './policy-reloader.js';

const SECRET = 'reload-test-internal-secret-0123456789';
const policyJson = (version: string, email: string) => JSON.stringify({ extends: 'standard', version, rules: { 'pii.email': { input: email, output: email } } });

let dir: string;
let reloader: PolicyReloader | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-reload-'));
});
afterEach(async () => {
  reloader?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** What main.ts wires: a holder in the app, a reloader on the file, metrics on the app's registry. */
async function start(file: string, intervalMs = 0) {
  const lines: string[] = [];
  const logger = createLogger({ service: 'safety-service', level: 'info', destination: { write: (line: string) => lines.push(line) } });
  const metrics = createMetrics({ defaultMetrics: false });
  const loaded = await loadPolicy({ preset: 'standard', file });
  const holder = createModeratorHolder(createModerator({ policy: loaded.policy }));
  const policyMetrics = createPolicyMetrics(metrics.registry);
  policyMetrics.inForce(holder.policyVersion);
  reloader = startPolicyReloader({
    file,
    appliedText: loaded.fileText ?? '',
    holder,
    build: (policy) => createModerator({ policy }),
    logger,
    metrics: policyMetrics,
    intervalMs,
  });
  const app = createApp({
    logger,
    metrics,
    health: new Health(),
    verifier: createIdentityVerifier({ secret: SECRET, audience: SAFETY_SERVICE_AUDIENCE }),
    moderator: holder,
  });
  const identity = await createIdentitySigner({ secret: SECRET, issuer: 'chat-service' }).sign(
    { sub: 'chat-service', kind: 'service', role: 'service' },
    SAFETY_SERVICE_AUDIENCE,
  );
  const moderate = async () =>
    (await request(app).post('/v1/moderate').set(IDENTITY_HEADER, identity).send({ text: 'mail a@b.io', direction: 'input' }).expect(200)).body as {
      action: string;
      policy_version: string;
    };
  const metricsText = async () => (await request(app).get('/metrics')).text;
  const logs = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { reloader, moderate, metricsText, logs };
}

async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, deadlineMs = 5000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('policy reload without restart', () => {
  it('picks up a changed file: the next response carries the new policy and version, the metrics say so', async () => {
    const file = join(dir, 'policy.json');
    await writeFile(file, policyJson('ops.1', 'redact'));
    const { moderate, metricsText, logs } = await start(file, 25);
    expect(await moderate()).toMatchObject({ action: 'redact', policy_version: 'ops.1' });
    expect(await metricsText()).toMatch(/^parley_safety_policy_info\{version="ops\.1"\} 1$/m);

    await writeFile(file, policyJson('ops.2', 'block'));
    expect(await until(moderate, (body) => body.policy_version === 'ops.2')).toMatchObject({ action: 'block', policy_version: 'ops.2' });
    const text = await metricsText();
    expect(text).toMatch(/^parley_safety_policy_reloads_total\{result="success"\} 1$/m);
    expect(text).toMatch(/^parley_safety_policy_reloads_total\{result="failure"\} 0$/m);
    expect(text).toMatch(/^parley_safety_policy_info\{version="ops\.2"\} 1$/m);
    expect(text).not.toContain('version="ops.1"');
    expect(logs()).toContainEqual(
      expect.objectContaining({ msg: 'policy reloaded', component: 'policy', policy_file: file, policy_version: 'ops.2', previous_policy_version: 'ops.1' }),
    );
  });

  it('keeps the previous policy when the new file is broken, logs the reason once, and takes the next good file', async () => {
    const file = join(dir, 'policy.json');
    await writeFile(file, policyJson('ops.1', 'redact'));
    const { reloader, moderate, metricsText, logs } = await start(file);

    await writeFile(file, JSON.stringify({ extends: 'standard', version: 'ops.2', rules: { 'pii.email': { input: 'mask', output: 'redact' } } }));
    expect(await reloader.check()).toBe('rejected');
    expect(await reloader.check()).toBe('unchanged');
    expect(await moderate()).toMatchObject({ action: 'redact', policy_version: 'ops.1' });
    const rejected = logs().filter((l) => l['msg'] === 'policy reload rejected; the previous policy stays in force');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ level: 'error', policy_version: 'ops.1' });
    expect((rejected[0]?.['err'] as { message: string }).message).toContain('rules["pii.email"].input: Invalid option');

    await writeFile(file, '{ not json');
    expect(await reloader.check()).toBe('rejected');
    await rm(file);
    expect(await reloader.check()).toBe('rejected');
    expect(await moderate()).toMatchObject({ policy_version: 'ops.1' });
    expect(await metricsText()).toMatch(/^parley_safety_policy_reloads_total\{result="failure"\} 3$/m);

    await writeFile(file, policyJson('ops.3', 'block'));
    expect(await reloader.check()).toBe('applied');
    expect(await moderate()).toMatchObject({ action: 'block', policy_version: 'ops.3' });
  });

  it('does nothing while the file is unchanged', async () => {
    const file = join(dir, 'policy.json');
    await writeFile(file, policyJson('ops.1', 'redact'));
    const { reloader, metricsText } = await start(file);
    expect(await reloader.check()).toBe('unchanged');
    expect(await metricsText()).toMatch(/^parley_safety_policy_reloads_total\{result="success"\} 0$/m);
  });
});
