import { createLogger, createMetrics, Health, loadConfig, runServer } from '@parley/platform';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { configSchema, createApp, createSimulator, settingsFromConfig } from '../src/index.js';
import { eventually, USER } from './helpers.js';

describe('graceful shutdown (wired as in main.ts)', () => {
  it('lets a running stream finish, closes requests hung on purpose at once, and resolves well before the drain timeout', async () => {
    const config = loadConfig(configSchema, {
      LLM_SIM_TTFT_MS: '0',
      LLM_SIM_TOKENS_PER_SECOND: '40',
      LLM_SIM_LATENCY_MS: '0',
      LLM_SIM_REPLY_TOKENS: '12',
    });
    const logger = createLogger({ service: 'llm-sim', level: 'silent' });
    const metrics = createMetrics({ defaultMetrics: false });
    const health = new Health();
    const simulator = createSimulator({ initial: settingsFromConfig(config), metrics, logger });
    const stopping = new AbortController();
    const app = createApp({ config, logger, metrics, health, simulator, stopping: stopping.signal });
    const running = await runServer({
      handler: app,
      port: 0,
      host: '127.0.0.1',
      logger,
      health,
      // Far beyond the test timeout: passing proves shutdown did not wait for the hung request.
      drainTimeoutMs: 60_000,
      signals: [],
    });
    const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'test', maxRetries: 0 });

    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER('drain me'), stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    const hung = client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: USER('hang [[sim:fault=timeout]]') })
      .catch((err: unknown) => err);
    await eventually(() => simulator.stats().in_flight === 2);

    stopping.abort();
    const shutdown = running.shutdown('test');
    expect(await hung).toBeInstanceOf(OpenAI.APIConnectionError);

    let text = '';
    let finish: string | null | undefined;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      text += next.value.choices[0]?.delta.content ?? '';
      finish = next.value.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('stop');
    expect(text.split(' ')).toHaveLength(12);
    await shutdown;

    expect(health.isDraining).toBe(true);
    expect(simulator.stats()).toMatchObject({
      streams_completed: 1,
      in_flight: 0,
      cancellations: 0,
      outcomes: { completed: 1, fault: 1 },
    });
  }, 10_000);
});
