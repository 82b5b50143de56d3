// Runs the whole Parley stack on this machine: safety-service, chat-service, gateway and,
// when no OPENAI_API_KEY is set, llm-sim. `npm start` builds first, then runs this.
// Configuration comes from the environment (see README); every service validates its own.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = { ...process.env };
const log = (msg, fields = {}) => process.stdout.write(`${JSON.stringify({ level: 'info', service: 'parley-start', time: new Date().toISOString(), msg, ...fields })}\n`);

if (!env.INTERNAL_SECRET) {
  // One random secret per run: services trust only each other, and nothing is written to disk.
  env.INTERNAL_SECRET = randomBytes(32).toString('base64url');
  log('INTERNAL_SECRET not set: generated one for this run');
}
const host = env.PARLEY_HOST ?? '127.0.0.1';
const ports = {
  gateway: env.GATEWAY_PORT ?? env.PORT ?? '8080',
  chat: env.CHAT_SERVICE_PORT ?? '8081',
  safety: env.SAFETY_SERVICE_PORT ?? '8082',
  sim: env.LLM_SIM_PORT ?? '8090',
};
const useSim = !env.OPENAI_API_KEY && !env.OPENAI_BASE_URL;

const services = [
  ...(useSim ? [{ name: 'llm-sim', dir: 'packages/llm-sim', env: { PORT: ports.sim } }] : []),
  { name: 'safety-service', dir: 'safety-service', env: { PORT: ports.safety } },
  {
    name: 'chat-service',
    dir: 'chat-service',
    env: {
      PORT: ports.chat,
      SAFETY_SERVICE_URL: env.SAFETY_SERVICE_URL ?? `http://${host}:${ports.safety}`,
      ...(useSim ? { OPENAI_BASE_URL: `http://${host}:${ports.sim}/v1` } : {}),
    },
  },
  {
    name: 'gateway',
    dir: 'gateway',
    env: { PORT: ports.gateway, CHAT_SERVICE_URL: env.CHAT_SERVICE_URL ?? `http://${host}:${ports.chat}` },
  },
];

const children = new Map();
let stopping = false;

async function waitReady(name, url, child) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not become ready at ${url}`);
}

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  log('stopping', { code });
  for (const child of children.values()) child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
  }, 15_000);
  timer.unref();
  Promise.all([...children.values()].map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null))).then(() => process.exit(code));
}

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

try {
  for (const service of services) {
    const child = spawn(process.execPath, ['--enable-source-maps', '--import', './dist/instrumentation.js', 'dist/main.js'], {
      cwd: `${root}/${service.dir}`,
      env: { ...env, HOST: host, OTEL_SERVICE_NAME: service.name, ...service.env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.set(service.name, child);
    child.once('exit', (code, signal) => {
      children.delete(service.name);
      if (!stopping) {
        log(`${service.name} exited unexpectedly`, { code, signal });
        stopAll(1);
      }
    });
    await waitReady(service.name, `http://${host}:${service.env.PORT}`, child);
  }
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${ports.gateway}`;
  log('Parley is running', { url, llm: useSim ? 'llm-sim' : env.OPENAI_BASE_URL ?? 'api.openai.com', redis: env.REDIS_URL ? 'redis' : 'in-memory' });
  process.stdout.write(`\n  Parley is running: open ${url}\n  (Ctrl+C stops every service)\n\n`);
} catch (err) {
  process.stderr.write(`parley-start: ${err.message}\n`);
  stopAll(1);
}
