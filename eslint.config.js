// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '.tools/**', '.cache/**', 'coverage/**', 'web/**/*.vue'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2024, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read the environment only in main.ts, instrumentation.ts or config.ts (STYLE.md).' },
      ],
    },
  },
  {
    // Composition roots and config are the only places that read the environment.
    files: ['**/src/main.ts', '**/src/instrumentation.ts', '**/src/config.ts', 'packages/testkit/src/process.ts', 'scripts/**', 'test/**', '**/vite.config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['web/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // k6 scenarios: k6's globals; every request goes through lib/k6-parley.ts (the contract the
    // e2e test checks); type-only imports stay `import type` so esbuild in k6 drops them whole
    // (k6/options, for one, is no runtime module).
    files: ['k6/**/*.ts'],
    languageOptions: { globals: { __ENV: 'readonly', __VU: 'readonly', __ITER: 'readonly', open: 'readonly' } },
    rules: {
      '@typescript-eslint/no-import-type-side-effects': 'error',
      'no-restricted-imports': ['error', { paths: [{ name: 'k6/http', message: 'Send requests with send(calls.x(...)) from lib/k6-parley.ts, so the contract test covers them.' }] }],
    },
  },
  {
    files: ['k6/lib/k6-parley.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // Loaded by k6 and by Node alike: no imports at all.
    files: ['k6/lib/contract.ts', 'k6/lib/summary.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['*'] }] },
  },
);
