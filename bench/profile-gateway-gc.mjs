// Young-generation GC of the gateway under 500 req/s of GET /api/v1/history (tracing off unless
// `on`): p50/p99 and the last 12 scavenges' mean pause, promoted and allocated MB, from V8's
// --trace-gc-nvp. High promotion with long scavenges means objects outlive one GC (see the
// res.locals fix in packages/platform/src/http.ts).
//   node bench/profile-gateway-gc.mjs [off|on] [path]
// Figures are per machine; compare lines of one sitting only. Run `npm run build` first.
import { createServer } from 'node:http';
import { freePort, startRedisServer, startService } from '../packages/testkit/dist/index.js';
import { pacedLoad } from './lib/load.mjs';

const [mode = 'off', path = '/api/v1/history'] = process.argv.slice(2);
const root = new URL('..', import.meta.url).pathname;
const redis = await startRedisServer();
const upstreamPort = await freePort();
const REPLY = JSON.stringify({ messages: [] });
const upstream = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(REPLY) }).end(REPLY));
});
await new Promise((resolve) => upstream.listen(upstreamPort, '127.0.0.1', resolve));
const port = await freePort();
const gateway = await startService({
  name: 'gateway',
  cwd: `${root}gateway`,
  args: ['--trace-gc-nvp', '--import', './dist/instrumentation.js', 'dist/main.js'],
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
    ...(mode === 'on' ? {} : { OTEL_SDK_DISABLED: 'true' }),
  },
});
try {
  const tokens = [];
  for (let i = 0; i < 20; i++) tokens.push((await (await fetch(`${gateway.url}/api/v1/sessions`, { method: 'POST' })).json()).token);
  const r = await pacedLoad({ url: gateway.url, method: 'GET', path, rate: 500, connections: 20, warmupMs: 2000, durationMs: 7000, headersFor: (i) => [{ authorization: `Bearer ${tokens[i]}` }], what: 'gateway' });
  await gateway.stop('SIGINT');
  const scavenges = gateway
    .output()
    .split('\n')
    .filter((l) => /gc=s\b/.test(l))
    .map((l) => Object.fromEntries(l.trim().split(/\s+/).map((kv) => kv.split('='))))
    .slice(-12);
  const mean = (k) => scavenges.reduce((a, x) => a + Number(x[k]), 0) / scavenges.length;
  console.log(JSON.stringify({ mode, path, p50_ms: Number(r.p50.toFixed(2)), p99_ms: Number(r.p99.toFixed(2)), scavenge_pause_ms: Number(mean('pause').toFixed(1)), promoted_mb: Number((mean('promoted') / 1e6).toFixed(1)), allocated_mb: Number((mean('allocated') / 1e6).toFixed(1)) }));
} finally {
  await gateway.stop('SIGINT');
  upstream.close();
  await redis.stop();
}
