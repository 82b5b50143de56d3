// Profiles the gateway under load on GET /api/v1/history and prints req/s, so the cost of
// each part (tracing, instrumentations, sampling) can be compared in one sitting:
//   node bench/profile-gateway.mjs <off|on> [instrumentations] [sampler] [--cpu-prof]
//   node bench/profile-gateway.mjs on http,undici,express,ioredis,pino always_off
// Figures are per machine; compare lines of one sitting only.
import { createServer } from 'node:http';
import autocannon from 'autocannon';
import { freePort, startRedisServer, startService } from '../packages/testkit/dist/index.js';

const [mode = 'on', instrumentations, sampler] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const cpuProfile = process.argv.includes('--cpu-prof');
const root = new URL('..', import.meta.url).pathname;

const redis = await startRedisServer();
const upstreamPort = await freePort();
const REPLY = JSON.stringify({ messages: [] });
const upstream = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(REPLY) }).end(REPLY));
});
upstream.keepAliveTimeout = 65_000;
await new Promise((resolve) => upstream.listen(upstreamPort, '127.0.0.1', resolve));

const port = await freePort();
const gateway = await startService({
  name: 'gateway',
  cwd: `${root}gateway`,
  args: [...(cpuProfile ? ['--cpu-prof', '--cpu-prof-dir=.cache/profiles'] : []), '--import', './dist/instrumentation.js', 'dist/main.js'],
  url: `http://127.0.0.1:${port}`,
  env: {
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    INTERNAL_SECRET: 'profile-internal-secret-0123456789abcdef',
    REDIS_URL: redis.url,
    CHAT_SERVICE_URL: `http://127.0.0.1:${upstreamPort}`,
    RATE_LIMIT_IP_PER_MINUTE: '1000000',
    RATE_LIMIT_SESSION_PER_MINUTE: '1000000',
    ...(mode === 'off' ? { OTEL_SDK_DISABLED: 'true' } : {}),
    ...(instrumentations ? { OTEL_NODE_ENABLED_INSTRUMENTATIONS: instrumentations } : {}),
    ...(sampler ? { OTEL_TRACES_SAMPLER: sampler } : {}),
  },
});
try {
  const tokens = [];
  for (let i = 0; i < 20; i++) tokens.push((await (await fetch(`${gateway.url}/api/v1/sessions`, { method: 'POST' })).json()).token);
  let next = 0;
  const result = await autocannon({
    url: `${gateway.url}/api/v1/history`,
    connections: 20,
    duration: 8,
    setupClient: (client) => client.setHeaders({ authorization: `Bearer ${tokens[next++ % tokens.length]}` }),
  });
  console.log(JSON.stringify({ mode, instrumentations: instrumentations ?? 'default', sampler: sampler ?? 'default', rps: result.requests.average, non2xx: result.non2xx, p50_ms: result.latency.p50 }));
} finally {
  await gateway.stop('SIGINT');
  upstream.close();
  await redis.stop();
}
