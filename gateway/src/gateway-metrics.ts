import { Counter, Histogram } from 'prom-client';
import type { ExemplarLabel, Metrics } from '@parley/platform';
import { AUTH_METHODS } from './auth/authenticator.js';
import { AUTH_FAILURE_REASONS } from './identity/index.js';

/** Buckets for work the gateway itself does (sub-millisecond to seconds). */
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const UPSTREAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface GatewayMetrics {
  authFailures: Counter<'reason'>;
  /** Every authentication, by credential type and outcome. */
  authDecisions: Counter<'method' | 'outcome'>;
  // Both histograms carry the request's trace id as an exemplar (observe with `exemplarLabels`).
  /** Time from the request's arrival until it is handed to the upstream: auth, limits, validation. */
  overhead: Histogram<'http_route' | ExemplarLabel>;
  /** Time until the upstream's response headers arrive (first byte of a stream). */
  upstream: Histogram<'http_route' | 'http_response_status_code' | ExemplarLabel>;
}

export function createGatewayMetrics(metrics: Metrics): GatewayMetrics {
  const registers = [metrics.registry];
  const authFailures = new Counter({
    name: 'gateway_auth_failures_total',
    help: 'Requests refused because authentication failed, by reason.',
    labelNames: ['reason'],
    registers,
  });
  // Pre-registered so dashboards show zeros instead of gaps.
  for (const reason of AUTH_FAILURE_REASONS) authFailures.inc({ reason }, 0);
  const authDecisions = new Counter<'method' | 'outcome'>({
    name: 'gateway_auth_decisions_total',
    help: 'Authentication decisions by credential type (method: session, api_key incl. the bootstrap admin key, oidc, none when no recognizable credential was sent) and outcome (success, failure incl. an identity backend that could not answer); failure reasons are in gateway_auth_failures_total.',
    labelNames: ['method', 'outcome'],
    registers,
  });
  for (const method of AUTH_METHODS) for (const outcome of ['success', 'failure']) authDecisions.inc({ method, outcome }, 0);
  return {
    authFailures,
    authDecisions,
    overhead: new Histogram<'http_route' | ExemplarLabel>({
      name: 'gateway_request_overhead_seconds',
      help: 'Time the gateway spends on a proxied request before handing it to the upstream.',
      labelNames: ['http_route'],
      buckets: OVERHEAD_BUCKETS,
      registers,
      enableExemplars: true,
    }),
    upstream: new Histogram<'http_route' | 'http_response_status_code' | ExemplarLabel>({
      name: 'gateway_upstream_duration_seconds',
      help: 'Time until the upstream response headers arrive.',
      labelNames: ['http_route', 'http_response_status_code'],
      buckets: UPSTREAM_BUCKETS,
      registers,
      enableExemplars: true,
    }),
  };
}
