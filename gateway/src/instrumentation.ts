import { startTelemetry } from '@parley/platform/instrumentation';

// No CLIENT span per proxied request: the proxy injects the trace context into the forwarded
// headers itself (chat-proxy.routes.ts), so chat-service's server span is the gateway server
// span's child, and gateway_upstream_duration_seconds times the upstream call.
await startTelemetry({ serviceName: 'gateway', serviceVersion: '0.1.0', env: process.env, httpClientSpans: false });
