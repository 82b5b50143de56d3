// Parley's built services as the benchmarks start them: as in production (`npm start` runs the
// same command), on 127.0.0.1 and a free port, logging at warn.
import { fileURLToPath } from 'node:url';
import { freePort, startService } from '../../packages/testkit/dist/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export const SERVICE_ARGS = ['--enable-source-maps', '--import', './dist/instrumentation.js', 'dist/main.js'];

/** Production settings on `port`; request logs at info would dominate the cost, warn keeps the pipeline under test. */
export function serviceEnv(port, extra) {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    SHUTDOWN_DRAIN_MS: '2000',
    ...extra,
  };
}

/** Starts a built service from its folder (`dir`, relative to the repo root) on a free port, stopped at the end of the run. */
export async function startBuiltService(ctx, { name, dir, env = {}, nodeArgs = [] }) {
  const port = await freePort();
  return ctx.start(
    name,
    () => startService({ name, cwd: `${root}/${dir}`, args: [...nodeArgs, ...SERVICE_ARGS], url: `http://127.0.0.1:${port}`, env: serviceEnv(port, env), timeoutMs: 30_000 }),
    (s) => s.stop('SIGTERM', 15_000),
  );
}
