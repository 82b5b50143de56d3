import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PolicyError, parsePolicy, policyFileSchema, policySchema, resolvePolicyFile, type Policy, type PolicyPreset } from '../domain/policy.js';

/** safety-service/policies/, from src/policy/ in tests and dist/policy/ when built. */
export const PRESETS_DIR = fileURLToPath(new URL('../../policies/', import.meta.url));

/** Where the policy comes from: POLICY_FILE when set (it may `extends` a preset), else POLICY_PRESET. */
export interface PolicySource {
  preset: PolicyPreset;
  file?: string | undefined;
  /** Default: PRESETS_DIR. */
  presetsDir?: string | undefined;
}

export interface LoadedPolicy {
  policy: Policy;
  /** The operator file's text as read, so a watcher starts from exactly what was applied. */
  fileText?: string;
}

export async function readPolicyText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new PolicyError(path, [`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`]);
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new PolicyError(path, [`not valid JSON: ${(err as Error).message}`]);
  }
}

export async function loadPreset(name: PolicyPreset, presetsDir: string = PRESETS_DIR): Promise<Policy> {
  const path = join(presetsDir, `${name}.json`);
  return parsePolicy(policySchema, parseJson(await readPolicyText(path), path), path);
}

/** The policy an operator file's text describes, its preset resolved; throws PolicyError naming each bad path. */
export async function policyFromFileText(text: string, path: string, presetsDir?: string): Promise<Policy> {
  const file = parsePolicy(policyFileSchema, parseJson(text, path), path);
  const preset = file.extends ? await loadPreset(file.extends, presetsDir) : undefined;
  return resolvePolicyFile(file, preset, path);
}

export async function loadPolicy(source: PolicySource): Promise<LoadedPolicy> {
  if (!source.file) return { policy: await loadPreset(source.preset, source.presetsDir) };
  const fileText = await readPolicyText(source.file);
  return { policy: await policyFromFileText(fileText, source.file, source.presetsDir), fileText };
}
