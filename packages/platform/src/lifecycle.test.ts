import { connect } from 'node:net';
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

/** Sends raw bytes and collects whatever the server answers until it closes the socket. */
function raw(url: string, payload: string, options: { keepOpen?: boolean } = {}): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.write(payload);
    if (!options.keepOpen) socket.end();
  });
}

describe('runServer protects against malformed and slow clients', () => {
  async function start(timeouts?: { headersMs?: number; requestMs?: number }) {
    const logs = captureLogs();
    running = await runServer({
      handler: (_req, res) => res.end('ok'),
      port: 0,
      host: '127.0.0.1',
      logger: createLogger({ service: 't', destination: logs.stream }),
      health: new Health(),
      drainTimeoutMs: 100,
      signals: [],
      ...(timeouts ? { timeouts } : {}),
    });
    return { url: running.url, logs };
  }

  it('answers oversized headers with a 431 problem', async () => {
    const { url } = await start();
    const answer = await raw(url, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1.1 431 /);
    expect(answer).toContain('application/problem+json');
    expect(JSON.parse(answer.slice(answer.indexOf('{')))).toMatchObject({ status: 431, code: 'headers_too_large', trace_id: expect.stringMatching(/^[\da-f]{32}$/) });
  });

  it('answers a header injection attempt (bare CR in a header value) with a 400 problem', async () => {
    const { url, logs } = await start();
    const answer = await raw(url, 'GET / HTTP/1.1\r\nHost: x\r\nX-Evil: a\rSet-Cookie: pwned=1\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1.1 400 /);
    expect(answer).not.toContain('pwned');
    expect(logs.lines.find((l) => l['msg'] === 'client error')).toMatchObject({ status: 400, code: 'bad_request' });
  });

  it('closes a slow client that never finishes its headers with a 408 problem', async () => {
    const { url } = await start({ headersMs: 300, requestMs: 300 });
    const started = Date.now();
    const answer = await raw(url, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ', { keepOpen: true });
    expect(answer).toMatch(/^HTTP\/1.1 408 /);
    expect(Date.now() - started).toBeLessThan(5_000);
    // And it keeps serving others.
    expect(await (await fetch(url)).text()).toBe('ok');
  });
});
