import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSse, startStack, type Stack } from './stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('SIGTERM drains in-flight streams', () => {
  it('lets a reply that is streaming finish, refuses new work, and exits 0', async () => {
    // A slow model: about 1.5 s of streaming.
    const slow = await fetch(`${stack.sim.url}/_sim/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tokens_per_second: 20, reply_tokens: 30 }),
    });
    expect(slow.status).toBe(200);
    const token = ((await (await fetch(`${stack.gateway.url}/api/v1/sessions`, { method: 'POST' })).json()) as { token: string }).token;
    const res = await fetch(`${stack.gateway.url}/api/v1/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ message: 'Take your time.' }),
    });
    expect(res.status).toBe(200);
    const [body, branch] = res.body!.tee();
    // Wait for the first byte, then ask both services to stop.
    await branch.getReader().read();
    const exits = Promise.all([stack.gateway.stop('SIGTERM'), stack.chat.stop('SIGTERM')]);
    const events = await readSse(new Response(body));
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { finish_reason: expect.stringMatching(/stop|length/) } });
    expect(await exits).toEqual([0, 0]);
    await expect(fetch(`${stack.gateway.url}/api/v1/config`)).rejects.toThrow();
    const draining = stack.gateway.logs().find((l) => l['msg'] === 'shutting down: draining');
    expect(draining).toMatchObject({ reason: 'SIGTERM', in_flight: 1 });
  });
});
