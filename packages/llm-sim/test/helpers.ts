import OpenAI from 'openai';
import { afterEach } from 'vitest';
import { startLlmSim, type LlmSim, type SimStats, type StartLlmSimOptions } from '../src/index.js';

const running: LlmSim[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.close()));
});

/** llm-sim on an ephemeral port, closed after the test. */
export async function startSim(options: StartLlmSimOptions = {}): Promise<LlmSim> {
  const sim = await startLlmSim(options);
  running.push(sim);
  return sim;
}

export function openaiFor(sim: LlmSim, apiKey = 'test'): OpenAI {
  return new OpenAI({ baseURL: sim.baseURL, apiKey, maxRetries: 0 });
}

export async function fetchStats(sim: LlmSim): Promise<SimStats> {
  const res = await fetch(`${sim.url}/_sim/stats`);
  return (await res.json()) as SimStats;
}

/** Polls until `check` returns true or the deadline passes; no fixed sleeps. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const USER = (content: string) => [{ role: 'user' as const, content }];

export async function postJson(sim: LlmSim, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}
