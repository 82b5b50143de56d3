import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

// The test configuration is a composition root: it reads CHAOS_FULL here, once, and hands it to
// the chaos tests with `provide` (test/chaos/support.ts).
// eslint-disable-next-line no-restricted-properties
const CHAOS_FULL = process.env['CHAOS_FULL'] === '1';

// Workspace packages resolve to their TypeScript sources in tests (see the
// "@parley/source" export condition); processes started by e2e tests run the built dist.
export default defineConfig({
  resolve: { conditions: ['@parley/source'] },
  ssr: { resolve: { conditions: ['@parley/source'] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'node',
          include: [
            'packages/*/src/**/*.test.ts',
            'packages/*/test/**/*.test.ts',
            'gateway/{src,test}/**/*.test.ts',
            'chat-service/{src,test}/**/*.test.ts',
            'safety-service/{src,test}/**/*.test.ts',
            'dashboards/src/**/*.test.ts',
          ],
        },
      },
      {
        extends: true,
        plugins: [vue()],
        test: {
          // Components and the markdown sanitizer run against a real DOM implementation (jsdom,
          // which DOMPurify supports); the browser itself is exercised by test/e2e/web-*.test.ts.
          name: 'web',
          environment: 'jsdom',
          include: ['web/src/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Real processes on real ports: one file at a time keeps a 2-core machine honest.
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          // Chaos under load (test/chaos/README.md): real processes like e2e, short versions by
          // default; CHAOS_FULL=1 runs the long ones (30 s outage, 1,000 streams for 60 s...).
          name: 'chaos',
          environment: 'node',
          include: ['test/chaos/**/*.test.ts'],
          testTimeout: CHAOS_FULL ? 600_000 : 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          // After the other projects, alone: its figures (latencies, recovery times, RSS) mean
          // something only when e2e is not starting its own processes on the same two cores.
          sequence: { groupOrder: 1 },
          provide: { chaosFull: CHAOS_FULL },
        },
      },
    ],
  },
});
