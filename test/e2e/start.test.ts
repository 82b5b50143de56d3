import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '@parley/testkit';

const root = fileURLToPath(new URL('../..', import.meta.url));
let child: ReturnType<typeof spawn> | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
});

describe('npm start (scripts/start.mjs, after the build npm test already ran)', () => {
  it('runs the whole stack with llm-sim, prints the URL, answers a chat message within 2 s, and stops cleanly', async () => {
    const [gateway, chat, safety, sim] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      GATEWAY_PORT: String(gateway),
      CHAT_SERVICE_PORT: String(chat),
      SAFETY_SERVICE_PORT: String(safety),
      LLM_SIM_PORT: String(sim),
    };
    child = spawn(process.execPath, ['scripts/start.mjs'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const url = `http://127.0.0.1:${gateway}`;
    await waitFor(() => out.includes(`Parley is running: open ${url}`), { what: `the start banner\n${out}`, timeoutMs: 30_000 });
    // The services say which demo defaults they use.
    expect(out).toContain('REDIS_URL is not set');
    expect(out).toContain('OPENAI_API_KEY is not set');

    const { token } = (await (await fetch(`${url}/api/v1/sessions`, { method: 'POST' })).json()) as { token: string };
    const started = performance.now();
    const res = await fetch(`${url}/api/v1/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'Hello!' }),
    });
    const elapsed = performance.now() - started;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { reply: string }).reply.length).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(2_000);
    expect((await fetch(`${url}/`)).headers.get('content-type')).toContain('text/html');
    // The demo host page with the embedded widget, and the widget script it loads.
    const demo = await fetch(`${url}/demo/`);
    expect(demo.status).toBe(200);
    expect(await demo.text()).toContain('<parley-chat');
    const widget = await fetch(`${url}/widget.js`);
    expect(widget.status).toBe(200);
    expect(widget.headers.get('content-type')).toContain('javascript');

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });
});
