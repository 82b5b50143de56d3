// CPU per chat turn of chat-service and safety-service, closed loop (10 at a time, 1,500 turns
// after 200 to warm up), against a zero-latency llm-sim, with an environment override for both
// services, so the cost of one setting can be compared in one sitting:
//   node bench/profile-chat-service.mjs '{"OTEL_SDK_DISABLED":"true"}'
//   node bench/profile-chat-service.mjs '{}'
//   node bench/profile-chat-service.mjs '{"OTEL_NODE_ENABLED_INSTRUMENTATIONS":"http"}' text/event-stream
// Figures are per machine; compare lines of one sitting only. Run `npm run build` first.
import { IDENTITY_HEADER, createIdentitySigner } from '../packages/platform/dist/index.js';
import { freePort, startService } from '../packages/testkit/dist/index.js';
import { cpuSeconds } from './lib/parley-client.mjs';

const root = new URL('..', import.meta.url).pathname;
const extra = JSON.parse(process.argv[2] ?? '{}');
const accept = process.argv[3] ?? 'application/json';
const secret = 'bench-internal-secret-0123456789abcdefgh';
const node = ['--enable-source-maps', '--import', './dist/instrumentation.js', 'dist/main.js'];
const common = { INTERNAL_SECRET: secret, HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'production' };
const [simPort, safetyPort, chatPort] = [await freePort(), await freePort(), await freePort()];
const start = (name, dir, port, env) => startService({ name, cwd: `${root}${dir}`, args: node, url: `http://127.0.0.1:${port}`, env: { ...common, PORT: String(port), ...env } });
const sim = await start('llm-sim', 'packages/llm-sim', simPort, { OTEL_SDK_DISABLED: 'true', LLM_SIM_TTFT_MS: '0', LLM_SIM_TOKENS_PER_SECOND: '0', LLM_SIM_LATENCY_MS: '0' });
const safety = await start('safety-service', 'safety-service', safetyPort, extra);
const chat = await start('chat-service', 'chat-service', chatPort, { OPENAI_BASE_URL: `${sim.url}/v1`, SAFETY_SERVICE_URL: safety.url, ...extra });
const signer = createIdentitySigner({ secret, issuer: 'gateway' });
const turn = async (i) => {
  const identity = await signer.sign({ sub: `s${i}`, kind: 'session', role: 'user', lang: 'en' }, 'chat-service');
  const res = await fetch(`${chat.url}/api/v1/chat`, { method: 'POST', headers: { 'content-type': 'application/json', accept, [IDENTITY_HEADER]: identity }, body: '{"message":"hello"}' });
  await res.text();
  if (!res.ok) throw new Error(`chat-service answered ${res.status}`);
};
try {
  for (let i = 0; i < 200; i++) await turn(i);
  const [chat0, safety0] = [await cpuSeconds(chat.url), await cpuSeconds(safety.url)];
  const turns = 1_500;
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: 10 }, async () => {
    while (next < turns) await turn(1_000 + next++);
  }));
  const [chat1, safety1] = [await cpuSeconds(chat.url), await cpuSeconds(safety.url)];
  console.log(JSON.stringify({
    env: extra,
    accept,
    chat_cpu_ms_per_turn: Number((((chat1 - chat0) * 1000) / turns).toFixed(2)),
    safety_cpu_ms_per_turn: Number((((safety1 - safety0) * 1000) / turns).toFixed(2)),
    turns_per_second: Math.round(turns / ((performance.now() - started) / 1000)),
  }));
} finally {
  await Promise.all([chat.stop(), safety.stop(), sim.stop()]);
}
