// Profiles the gateway under load on GET /api/v1/history and prints req/s, so the cost of
// each part (tracing, instrumentations, sampling) can be compared in one sitting:
//   node bench/profile-gateway.mjs <off|on> [instrumentations] [sampler] [--cpu-prof]
//   node bench/profile-gateway.mjs on http,undici,ioredis,pino always_off
// Figures are per machine; compare lines of one sitting only.
import autocannon from 'autocannon';
import { startGatewayRig } from './lib/gateway-rig.mjs';

const [mode = 'on', instrumentations, sampler] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const cpuProfile = process.argv.includes('--cpu-prof');

const rig = await startGatewayRig({
  nodeArgs: cpuProfile ? ['--cpu-prof', '--cpu-prof-dir=.cache/profiles'] : [],
  env: {
    ...(mode === 'off' ? { OTEL_SDK_DISABLED: 'true' } : {}),
    ...(instrumentations ? { OTEL_NODE_ENABLED_INSTRUMENTATIONS: instrumentations } : {}),
    ...(sampler ? { OTEL_TRACES_SAMPLER: sampler } : {}),
  },
});
try {
  const tokens = await rig.sessions(20);
  let next = 0;
  const result = await autocannon({
    url: `${rig.gateway.url}/api/v1/history`,
    connections: 20,
    duration: 8,
    setupClient: (client) => client.setHeaders({ authorization: `Bearer ${tokens[next++ % tokens.length]}` }),
  });
  console.log(JSON.stringify({ mode, instrumentations: instrumentations ?? 'default', sampler: sampler ?? 'default', rps: result.requests.average, non2xx: result.non2xx, p50_ms: result.latency.p50 }));
} finally {
  await rig.stop();
}
