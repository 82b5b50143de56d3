import { startTelemetry } from '@parley/platform/instrumentation';

await startTelemetry({ serviceName: 'gateway', serviceVersion: '0.1.0', env: process.env });
