import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, createMetrics, Health, loadConfig, type Metrics } from '@parley/platform';
import type { Express } from 'express';
import { createApp } from './app.js';
import type { Clock } from './clock.js';
import { configSchema, settingsFromConfig } from './config.js';
import { settingsSchema, type SimSettingsPatch } from './settings.js';
import { createSimulator, type Simulator } from './simulator.js';

export interface StartLlmSimOptions {
  /** Runtime settings on top of the defaults; timing defaults to instant (ttft 0, tokens/s 0, latency 0). */
  settings?: SimSettingsPatch;
  /** Environment-style config, as main.ts would read it (LLM_SIM_API_KEY, LLM_SIM_MODELS...). */
  env?: Record<string, string | undefined>;
  /** Level of the in-memory logger; 'silent' (nothing captured) by default. */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  clock?: Clock;
  random?: () => number;
}

export interface LlmSim {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** `${url}/v1`, what an OpenAI client takes as baseURL. */
  baseURL: string;
  app: Express;
  /** Direct access to settings and counters (the same as /_sim/*). */
  sim: Simulator;
  metrics: Metrics;
  /** Log lines captured in memory (parsed JSON), when logLevel is not silent. */
  logs: Record<string, unknown>[];
  /** Closes hung requests and every connection; resolves when the server is closed. */
  close(): Promise<void>;
}

/** Starts llm-sim in-process on 127.0.0.1 and an ephemeral port, for other packages' tests. */
export async function startLlmSim(options: StartLlmSimOptions = {}): Promise<LlmSim> {
  const config = loadConfig(configSchema, {
    LLM_SIM_TTFT_MS: '0',
    LLM_SIM_TOKENS_PER_SECOND: '0',
    LLM_SIM_LATENCY_MS: '0',
    ...options.env,
  });
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'llm-sim',
    level: options.logLevel ?? 'silent',
    destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const metrics = createMetrics({ defaultMetrics: false });
  const { fail_next: failNext, ...settings } = options.settings ?? {};
  const sim = createSimulator({
    initial: settingsSchema.parse({ ...settingsFromConfig(config), ...settings }),
    metrics,
    logger,
    ...(options.clock ? { now: () => options.clock?.now() ?? Date.now() } : {}),
    ...(options.random ? { random: options.random } : {}),
  });
  if (failNext !== undefined) sim.configure({ fail_next: failNext });
  const stopping = new AbortController();
  const app = createApp({
    config,
    logger,
    metrics,
    health: new Health(),
    simulator: sim,
    stopping: stopping.signal,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const server = createServer(app);
  server.requestTimeout = 0;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    baseURL: `${url}/v1`,
    app,
    sim,
    metrics,
    logs,
    close() {
      closing ??= (async () => {
        stopping.abort();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}
