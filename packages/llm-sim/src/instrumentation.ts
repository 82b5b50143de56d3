// Preloaded with `node --import ./dist/instrumentation.js dist/main.js`; imports nothing from the app.
import { readFileSync } from 'node:fs';
import { startTelemetry } from '@parley/platform/instrumentation';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

await startTelemetry({ serviceName: 'llm-sim', serviceVersion: packageVersion(), env: process.env });
