// Preloaded with `node --import ./dist/instrumentation.js dist/main.js`; imports nothing from the app.
import { startTelemetry } from '@parley/platform/instrumentation';

await startTelemetry({ serviceName: 'safety-service', serviceVersion: '0.1.0', env: process.env });
