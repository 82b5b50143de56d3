// Reproduces the open question in the session notes: after clients hang up on streamed chat
// turns, does chat-service keep connections to llm-sim? Starts llm-sim (slow tokens),
// safety-service and chat-service, opens 20 SSE turns, hangs up after the first delta, and
// prints chat-service's established connections by peer (Linux /proc) before and 2 s after,
// with llm-sim's counters.   node bench/probe-stream-cancel.mjs ['{"OTEL_SDK_DISABLED":"true"}']
import { request } from 'node:http';
import { IDENTITY_HEADER, createIdentitySigner } from '../packages/platform/dist/index.js';
import { freePort, startService } from '../packages/testkit/dist/index.js';
import { connectionsOf } from './lib/sockets.mjs';

const root = new URL('..', import.meta.url).pathname;
const secret = 'bench-internal-secret-0123456789abcdefgh';
const node = ['--enable-source-maps', '--import', './dist/instrumentation.js', 'dist/main.js'];
const common = { INTERNAL_SECRET: secret, HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'production', ...JSON.parse(process.argv[2] ?? '{}') };
const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
const start = (name, dir, port, env) => startService({ name, cwd: `${root}${dir}`, args: node, url: `http://127.0.0.1:${port}`, env: { ...common, PORT: String(port), ...env } });
const sim = await start('llm-sim', 'packages/llm-sim', p1, { OTEL_SDK_DISABLED: 'true', LLM_SIM_TTFT_MS: '0', LLM_SIM_TOKENS_PER_SECOND: '4', LLM_SIM_REPLY_TOKENS: '200' });
const safety = await start('safety-service', 'safety-service', p2, {});
const chat = await start('chat-service', 'chat-service', p3, { OPENAI_BASE_URL: `${sim.url}/v1`, SAFETY_SERVICE_URL: safety.url });
const signer = createIdentitySigner({ secret, issuer: 'gateway' });
const peers = { llm: p1, safety: p2 };
try {
  const requests = [];
  await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const identity = await signer.sign({ sub: `s${i}`, kind: 'session', role: 'user', lang: 'en' }, 'chat-service');
      await new Promise((resolve) => {
        const r = request(`${chat.url}/api/v1/chat`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', [IDENTITY_HEADER]: identity } }, (res) => {
          res.on('data', (d) => {
            if (String(d).includes('event: delta')) resolve();
          });
        });
        r.end('{"message":"hello"}');
        requests.push(r);
      });
    }),
  );
  console.log('holding', JSON.stringify(await connectionsOf(chat.child.pid, p3, peers)));
  for (const r of requests) r.destroy();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const stats = await (await fetch(`${sim.url}/_sim/stats`)).json();
  console.log('2 s after hang-up', JSON.stringify(await connectionsOf(chat.child.pid, p3, peers)), JSON.stringify({ cancellations: stats.cancellations, in_flight: stats.in_flight }));
} finally {
  await Promise.all([chat.stop(), safety.stop(), sim.stop()]);
}
