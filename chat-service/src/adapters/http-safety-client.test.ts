import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SafetyUnavailableError, createIdentitySigner } from '@parley/platform';
import { waitFor } from '@parley/testkit';
import { createHttpSafetyClient } from './http-safety-client.js';

const signer = createIdentitySigner({ secret: 'http-safety-client-test-secret-0123456789', issuer: 'chat-service' });
const ALLOW = JSON.stringify({ action: 'allow', text: 'hi', findings: [], policy_version: 'test' });

interface FakeSafety {
  url: string;
  server: Server;
  sockets: { accepted: number; open: Set<Socket> };
  /** Requests waiting for an answer (answer them with `end`). */
  waiting: ServerResponse[];
  requests: number;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A safety-service stand-in that answers only when told to, advertising a long keep-alive as Parley's servers do. */
async function startFakeSafety(): Promise<FakeSafety> {
  const fake: FakeSafety = { url: '', server: createServer(), sockets: { accepted: 0, open: new Set() }, waiting: [], requests: 0 };
  fake.server.keepAliveTimeout = 65_000;
  fake.server.on('request', (req, res) => {
    fake.requests++;
    req.resume();
    req.on('end', () => fake.waiting.push(res));
  });
  fake.server.on('connection', (socket) => {
    fake.sockets.accepted++;
    fake.sockets.open.add(socket);
    socket.once('close', () => fake.sockets.open.delete(socket));
  });
  fake.server.listen(0, '127.0.0.1');
  await new Promise((resolve) => fake.server.once('listening', resolve));
  fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  servers.push(fake.server);
  return fake;
}

const answer = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end(ALLOW);

describe('createHttpSafetyClient', () => {
  it('checks a text and parses the verdict', async () => {
    const fake = await startFakeSafety();
    const client = createHttpSafetyClient({ baseUrl: fake.url, timeoutMs: 2_000, signer });
    const verdict = client.moderate({ text: 'hi', direction: 'output', language: 'en' }, new AbortController().signal);
    await waitFor(() => fake.waiting.length === 1, { what: 'the request' });
    answer(fake.waiting.shift()!);
    await expect(verdict).resolves.toMatchObject({ action: 'allow', policy_version: 'test' });
  });

  it('fails closed with SafetyUnavailableError when the answer does not come in time', async () => {
    const fake = await startFakeSafety();
    const client = createHttpSafetyClient({ baseUrl: fake.url, timeoutMs: 100, signer });
    await expect(client.moderate({ text: 'hi', direction: 'output', language: 'en' }, new AbortController().signal)).rejects.toBeInstanceOf(SafetyUnavailableError);
  });

  it('leaves no spare connection behind for checks cancelled in flight (streams whose clients hung up)', async () => {
    const fake = await startFakeSafety();
    const client = createHttpSafetyClient({ baseUrl: fake.url, timeoutMs: 10_000, signer });
    const CANCELLED = 20;
    // One check keeps running, as others would on a live service, while CANCELLED are aborted.
    const bystander = client.moderate({ text: 'still here', direction: 'output', language: 'en' }, new AbortController().signal);
    const controllers = Array.from({ length: CANCELLED }, () => new AbortController());
    const cancelled = controllers.map((c) => client.moderate({ text: 'hi', direction: 'output', language: 'en' }, c.signal).catch((err: unknown) => err));
    await waitFor(() => fake.waiting.length === CANCELLED + 1, { what: 'every check to reach the server' });

    for (const c of controllers) c.abort(new Error('client hung up'));
    for (const err of await Promise.all(cancelled)) expect((err as Error).message).toBe('client hung up');

    // The bystander's connection and a small constant: Node's global fetch opened one more per
    // cancelled request (nodejs/undici#5845) and kept it idle.
    const allowed = 1 + 2;
    await waitFor(() => fake.sockets.open.size <= allowed, { what: 'the cancelled checks\' connections to close', timeoutMs: 3_000 }).catch(() => undefined);
    expect(fake.sockets.open.size, 'connections open at safety-service').toBeLessThanOrEqual(allowed);
    expect(fake.sockets.accepted, 'connections opened to safety-service').toBeLessThanOrEqual(CANCELLED + allowed);
    expect(fake.requests).toBe(CANCELLED + 1);

    for (const res of fake.waiting) answer(res); // the cancelled ones' sockets are gone already
    await expect(bystander).resolves.toMatchObject({ action: 'allow' });
  });
});
