// The gateway alone for the profiling scripts: a private redis-server, a zero-latency upstream
// answering GET /api/v1/history with {"messages":[]}, and the built gateway in front of it with
// limits high enough that nothing is refused.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { freePort, startRedisServer, startService } from '../../packages/testkit/dist/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const REPLY = JSON.stringify({ messages: [] });

/** `nodeArgs` go before the gateway's own (e.g. --cpu-prof, --trace-gc-nvp); `env` overrides (tracing settings). */
export async function startGatewayRig({ nodeArgs = [], env = {} } = {}) {
  const redis = await startRedisServer();
  const upstreamPort = await freePort();
  const upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(REPLY) }).end(REPLY));
  });
  upstream.keepAliveTimeout = 65_000;
  await new Promise((resolve) => upstream.listen(upstreamPort, '127.0.0.1', resolve));
  const port = await freePort();
  const gateway = await startService({
    name: 'gateway',
    cwd: `${root}/gateway`,
    args: [...nodeArgs, '--import', './dist/instrumentation.js', 'dist/main.js'],
    url: `http://127.0.0.1:${port}`,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      INTERNAL_SECRET: 'profile-internal-secret-0123456789abcdef',
      REDIS_URL: redis.url,
      CHAT_SERVICE_URL: `http://127.0.0.1:${upstreamPort}`,
      RATE_LIMIT_IP_PER_MINUTE: '1000000',
      RATE_LIMIT_SESSION_PER_MINUTE: '1000000',
      ...env,
    },
  });
  return {
    gateway,
    /** `count` new session tokens. */
    async sessions(count) {
      const tokens = [];
      for (let i = 0; i < count; i++) tokens.push((await (await fetch(`${gateway.url}/api/v1/sessions`, { method: 'POST' })).json()).token);
      return tokens;
    },
    async stop() {
      await gateway.stop('SIGINT');
      upstream.close();
      await redis.stop();
    },
  };
}
