import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

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
    ],
  },
});
