import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '@parley/testkit';
import { createNodeHttpFetch } from './node-http-fetch.js';

/** A server that echoes the request as JSON, streams `/stream` until the client goes away, never answers `/hang`. */
let server: Server;
let url: string;
const sockets = { accepted: 0, open: new Set<Socket>() };
const received: { req: IncomingMessage; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ req, body });
      if (req.url === '/hang') return;
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: first\n\n');
        return;
      }
      res.setHeader('x-echo', 'yes');
      res.end(JSON.stringify({ method: req.method, body }));
    });
  });
  server.keepAliveTimeout = 65_000;
  server.on('connection', (socket) => {
    sockets.accepted++;
    sockets.open.add(socket);
    socket.once('close', () => sockets.open.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(async () => {
  server.closeAllConnections();
  await waitFor(() => sockets.open.size === 0, { what: 'connections from the last test to close' });
  sockets.accepted = 0;
  received.length = 0;
});

describe('fetch over node:http', () => {
  it('sends method, headers and body, and answers status, headers and body', async () => {
    const res = await createNodeHttpFetch()(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, body: '{"a":1}' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-echo')).toBe('yes');
    expect(await res.json()).toEqual({ method: 'POST', body: '{"a":1}' });
    expect(received[0]?.req.headers).toMatchObject({ authorization: 'Bearer k', 'content-type': 'application/json', 'content-length': '7', 'accept-encoding': 'identity' });
  });

  it('reuses a finished response\'s connection for the next call', async () => {
    const fetch = createNodeHttpFetch();
    for (let i = 0; i < 3; i++) await (await fetch(`${url}/echo`, { method: 'POST', body: 'x' })).text();
    expect(sockets.accepted).toBe(1);
  });

  it('on an abort mid-body, errors the body with the abort reason, closes the connection and opens no other', async () => {
    const controller = new AbortController();
    const res = await createNodeHttpFetch()(`${url}/stream`, { method: 'POST', body: '{}', signal: controller.signal });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: first\n\n');
    const reason = new Error('client went away');
    controller.abort(reason);
    await expect(reader.read()).rejects.toBe(reason);
    await waitFor(() => sockets.open.size === 0, { what: 'the aborted connection to close' });
    expect(sockets.accepted).toBe(1);
  });

  it('rejects with the abort reason when aborted before the answer, and with "fetch failed" when nobody listens', async () => {
    const controller = new AbortController();
    const pending = createNodeHttpFetch()(`${url}/hang`, { method: 'POST', body: '{}', signal: controller.signal });
    await waitFor(() => received.length === 1, { what: 'the request to arrive' });
    controller.abort(new Error('too late'));
    await expect(pending).rejects.toThrow('too late');
    await waitFor(() => sockets.open.size === 0, { what: 'the aborted connection to close' });
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await new Promise((resolve) => closed.once('listening', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(createNodeHttpFetch()(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });

  it('closes an idle keep-alive connection after idleSocketMs', async () => {
    await (await createNodeHttpFetch({ idleSocketMs: 100 })(`${url}/echo`, { method: 'POST', body: 'x' })).text();
    expect(sockets.open.size).toBe(1);
    await waitFor(() => sockets.open.size === 0, { what: 'the idle connection to close', timeoutMs: 2_000 });
  });
});
