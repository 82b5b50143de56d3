import { afterEach, describe, expect, it } from 'vitest';
import { captureLogs } from '@parley/testkit';
import { Health } from './health.js';
import { runServer, type RunningServer } from './lifecycle.js';
import { createLogger } from './logger.js';

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.shutdown();
  running = undefined;
});

describe('runServer graceful shutdown', () => {
  it('lets an in-flight request finish, refuses new ones, then runs the hooks', async () => {
    const logs = captureLogs();
    const health = new Health();
    const order: string[] = [];
    let release: (() => void) | undefined;
    running = await runServer({
      handler: (_req, res) => {
        order.push('request');
        release = () => res.end('done');
      },
      port: 0,
      host: '127.0.0.1',
      logger: createLogger({ service: 't', destination: logs.stream }),
      health,
      drainTimeoutMs: 5_000,
      onShutdown: [() => void order.push('hook')],
      signals: [],
    });
    const inFlight = fetch(running.url);
    while (!release) await new Promise((r) => setTimeout(r, 5));
    const shutdown = running.shutdown('test');
    expect(health.isDraining).toBe(true);
    await expect(fetch(running.url)).rejects.toThrow();
    release();
    expect(await (await inFlight).text()).toBe('done');
    await shutdown;
    expect(order).toEqual(['request', 'hook']);
    expect(logs.lines.map((l) => l['msg'])).toEqual(expect.arrayContaining(['shutting down: draining', 'shut down']));
  });

  it('closes a stream that outlives the drain timeout and says so in the logs', async () => {
    const logs = captureLogs();
    running = await runServer({
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('event: delta\ndata: {}\n\n');
      },
      port: 0,
      host: '127.0.0.1',
      logger: createLogger({ service: 't', destination: logs.stream }),
      health: new Health(),
      drainTimeoutMs: 100,
      signals: [],
    });
    const res = await fetch(running.url);
    const reader = res.body!.getReader();
    await reader.read();
    await running.shutdown('test');
    await expect(reader.read()).rejects.toThrow();
    expect(logs.lines.find((l) => l['msg'] === 'drain timeout: closing remaining connections')).toMatchObject({ in_flight: 1 });
  });
});
