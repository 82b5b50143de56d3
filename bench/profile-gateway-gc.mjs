// Young-generation GC of the gateway under 500 req/s of GET /api/v1/history (tracing off unless
// `on`): p50/p99 and the last 12 scavenges' mean pause, promoted and allocated MB, from V8's
// --trace-gc-nvp. High promotion with long scavenges means objects outlive one GC (see the
// res.locals fix in packages/platform/src/http.ts).
//   node bench/profile-gateway-gc.mjs [off|on] [path]
// Figures are per machine; compare lines of one sitting only. Run `npm run build` first.
import { startGatewayRig } from './lib/gateway-rig.mjs';
import { pacedLoad } from './lib/load.mjs';

const [mode = 'off', path = '/api/v1/history'] = process.argv.slice(2);
const rig = await startGatewayRig({ nodeArgs: ['--trace-gc-nvp'], env: mode === 'on' ? {} : { OTEL_SDK_DISABLED: 'true' } });
try {
  const tokens = await rig.sessions(20);
  const r = await pacedLoad({ url: rig.gateway.url, method: 'GET', path, rate: 500, connections: 20, warmupMs: 2000, durationMs: 7000, headersFor: (i) => [{ authorization: `Bearer ${tokens[i]}` }], what: 'gateway' });
  await rig.gateway.stop('SIGINT');
  const scavenges = rig.gateway
    .output()
    .split('\n')
    .filter((l) => /gc=s\b/.test(l))
    .map((l) => Object.fromEntries(l.trim().split(/\s+/).map((kv) => kv.split('='))))
    .slice(-12);
  const mean = (k) => scavenges.reduce((a, x) => a + Number(x[k]), 0) / scavenges.length;
  console.log(JSON.stringify({ mode, path, p50_ms: Number(r.p50.toFixed(2)), p99_ms: Number(r.p99.toFixed(2)), scavenge_pause_ms: Number(mean('pause').toFixed(1)), promoted_mb: Number((mean('promoted') / 1e6).toFixed(1)), allocated_mb: Number((mean('allocated') / 1e6).toFixed(1)) }));
} finally {
  await rig.stop();
}
