import { fileURLToPath } from 'node:url';
import { freePort, startOtlpReceiver, startRedisServer, startService, type OtlpReceiver, type RedisServer, type ServiceProcess } from '@parley/testkit';

export const INTERNAL_SECRET = 'e2e-internal-secret-that-is-long-enough-0123456789';
export const ADMIN_API_KEY = 'e2e-bootstrap-admin-key-0123456789abcdef';
const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Stack {
  redis: RedisServer;
  otlp: OtlpReceiver;
  sim: ServiceProcess;
  safety: ServiceProcess;
  chat: ServiceProcess;
  gateway: ServiceProcess;
  all: ServiceProcess[];
  /** Starts one more gateway replica on the same Redis and chat-service. */
  addGateway(env?: Record<string, string>): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

/**
 * Starts the real, built processes (as `npm start` runs them) on free loopback ports,
 * with a private redis-server and a test OTLP receiver. Run `npm run build` first.
 */
export async function startStack(extraEnv: Record<string, Record<string, string>> = {}): Promise<Stack> {
  const redis = await startRedisServer();
  const otlp = await startOtlpReceiver();
  const [simPort, safetyPort, chatPort, gatewayPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const common = {
    INTERNAL_SECRET,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    NODE_ENV: 'test',
    SHUTDOWN_DRAIN_MS: '5000',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_TRACES_SAMPLER: 'parentbased_always_on',
  };
  const node = ['--enable-source-maps', '--import', './dist/instrumentation.js', 'dist/main.js'];
  const start = (name: string, dir: string, port: number, env: Record<string, string>, overrides = extraEnv[name]) =>
    startService({
      name,
      cwd: `${root}/${dir}`,
      args: node,
      url: `http://127.0.0.1:${port}`,
      env: { ...common, OTEL_SERVICE_NAME: name, PORT: String(port), ...env, ...overrides },
    });
  const sim = await start('llm-sim', 'packages/llm-sim', simPort, { LLM_SIM_TTFT_MS: '0', LLM_SIM_TOKENS_PER_SECOND: '0' });
  const safety = await start('safety-service', 'safety-service', safetyPort, {});
  const chat = await start('chat-service', 'chat-service', chatPort, {
    REDIS_URL: redis.url,
    OPENAI_BASE_URL: `${sim.url}/v1`,
    SAFETY_SERVICE_URL: safety.url,
  });
  // The browser tests keep the session across reloads without a consent click; the consent
  // banner (CONSENT_MODE=auto, the default) has its own test in browser.test.ts.
  const gatewayEnv = { REDIS_URL: redis.url, CHAT_SERVICE_URL: chat.url, ADMIN_API_KEY, CONSENT_MODE: 'never' };
  const gateway = await start('gateway', 'gateway', gatewayPort, gatewayEnv);
  const all = [gateway, chat, safety, sim];
  return {
    redis,
    otlp,
    sim,
    safety,
    chat,
    gateway,
    all,
    async addGateway(env = {}) {
      const replica = await start('gateway', 'gateway', await freePort(), gatewayEnv, { ...extraEnv['gateway'], ...env });
      all.push(replica);
      return replica;
    },
    async stop() {
      await Promise.all(all.map((p) => p.stop()));
      await otlp.close();
      await redis.stop();
    },
  };
}

export interface SseEvent {
  event: string;
  data: unknown;
}

/** Reads a whole SSE response into events (the test's own tiny parser, independent of the web one). */
export async function readSse(res: Response): Promise<SseEvent[]> {
  const text = await res.text();
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.trim() && !block.startsWith(':'))
    .map((block) => {
      const lines = block.split(/\r?\n/);
      const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim() ?? 'message';
      const data = lines
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      return { event, data: JSON.parse(data) as unknown };
    });
}
