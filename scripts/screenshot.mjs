#!/usr/bin/env node
// Writes docs/screenshot.png, the README's picture of the widget on the demo host page:
// builds the web UI, then runs the one e2e test that takes it against a real stack.
//   scripts/with-node.sh node scripts/screenshot.mjs   (run `npm run build` once before)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (cmd, args, env = {}) => {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

run('npm', ['run', 'build', '-w', '@parley/web']);
run('npx', ['vitest', 'run', 'test/e2e/web-widget.test.ts', '-t', 'README screenshot'], { PARLEY_README_SCREENSHOT: '1' });
console.log('wrote docs/screenshot.png');
