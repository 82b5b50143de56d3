import { readFileSync, readlinkSync } from 'node:fs';
import { inject } from 'vitest';
import { startService, waitFor, type ServiceProcess } from '@parley/testkit';
import { ADMIN_API_KEY, type Stack } from '../e2e/stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** CHAOS_FULL=1: the long versions (vitest.config.ts). */
    chaosFull: boolean;
  }
}

/** Short (CI) or full version of the chaos tests. */
export const FULL = inject('chaosFull');

export const admin = { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json' };
export const json = { 'content-type': 'application/json' };

/** Rate limits out of the way: the chaos tests load one gateway from one address with few principals. */
export const UNLIMITED_GATEWAY = {
  RATE_LIMIT_IP_PER_MINUTE: '1000000',
  RATE_LIMIT_SESSION_PER_MINUTE: '1000000',
  RATE_LIMIT_API_KEY_PER_MINUTE: '1000000',
  TOKEN_BUDGET_API_KEY_PER_DAY: '1000000000',
  TOKEN_BUDGET_SESSION_PER_DAY: '1000000000',
  COST_BUDGET_USD_PER_DAY: '1000000',
};

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function simConfig(stack: Stack, body: unknown): Promise<void> {
  const res = await fetch(`${stack.sim.url}/_sim/config`, { method: 'PUT', headers: json, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`PUT /_sim/config answered ${res.status}: ${await res.text()}`);
}

export interface SimStats {
  requests_total: number;
  in_flight: number;
  streams_started: number;
  faults_injected: Record<string, number>;
  outcomes: Record<string, number>;
}
export const simStats = async (stack: Stack) => (await (await fetch(`${stack.sim.url}/_sim/stats`)).json()) as SimStats;

/**
 * llm-sim's "chat completion" log lines, once every call it counted has ended and been logged
 * (a call is logged when its connection closes, which may come after the client's answer).
 */
export async function simCalls(stack: Stack): Promise<Record<string, unknown>[]> {
  return waitFor(
    async () => {
      const stats = await simStats(stack);
      const calls = stack.sim.logs().filter((l) => l['msg'] === 'chat completion');
      return stats.in_flight === 0 && calls.length >= stats.requests_total ? calls : undefined;
    },
    { what: 'llm-sim to log every call', intervalMs: 50 },
  );
}

/** An API key for the OpenAI-compatible API (role user). */
export async function createApiKey(gatewayUrl: string, name = 'chaos'): Promise<string> {
  const res = await fetch(`${gatewayUrl}/api/v1/admin/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name, role: 'user' }) });
  if (res.status !== 201) throw new Error(`creating an API key answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

/** A UI session token. */
export async function mintSession(gatewayUrl: string): Promise<string> {
  const res = await fetch(`${gatewayUrl}/api/v1/sessions`, { method: 'POST' });
  if (res.status !== 201) throw new Error(`minting a session answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** The value of one sample of a Prometheus text exposition (labels in any order), or undefined. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const open = line.indexOf('{');
    const close = line.lastIndexOf('}');
    const labelText = open === name.length ? line.slice(open + 1, close) : '';
    const found = Object.fromEntries([...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(line.slice((open === name.length ? close : name.length) + 1).trim().split(' ')[0]);
  }
  return undefined;
}

export const scrape = async (url: string) => (await fetch(`${url}/metrics`)).text();

/** Resident memory of a service, from its own /metrics. */
export async function rssBytes(service: ServiceProcess): Promise<number> {
  const value = metricValue(await scrape(service.url), 'process_resident_memory_bytes');
  if (value === undefined) throw new Error(`${service.name} exports no process_resident_memory_bytes`);
  return value;
}

/**
 * What an operator would call a crash: the process exited on its own, or wrote a fatal log
 * line, or Node reported an unhandled rejection or uncaught exception (those go to stderr,
 * not the JSON log, and end the process).
 */
export function crashes(service: ServiceProcess): string[] {
  const found: string[] = [];
  if (service.child.exitCode !== null || service.child.signalCode !== null) found.push(`${service.name} exited (${service.child.exitCode ?? service.child.signalCode})`);
  for (const line of service.logs()) if (line['level'] === 'fatal') found.push(`${service.name} fatal: ${String(line['msg'])}`);
  if (/unhandled ?rejection|uncaught ?exception|triggerUncaughtException/i.test(service.output())) found.push(`${service.name} reported an unhandled rejection or uncaught exception`);
  return found;
}

/**
 * Reads how a running service was started (Linux /proc), so that it can be started again on
 * the same port, with the same environment, after the test killed it.
 */
export function restartable(service: ServiceProcess): () => Promise<ServiceProcess> {
  const pid = service.child.pid;
  if (pid === undefined) throw new Error(`${service.name} has no pid`);
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1);
  const env = Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  ) as Record<string, string>;
  const cwd = readlinkSync(`/proc/${pid}/cwd`);
  return () => startService({ name: service.name, cwd, args, env, url: service.url });
}
