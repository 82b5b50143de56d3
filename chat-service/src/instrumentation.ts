import { startTelemetry } from '@parley/platform/instrumentation';

await startTelemetry({ serviceName: 'chat-service', serviceVersion: '0.1.0', env: process.env });
