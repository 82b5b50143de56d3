import type { DashboardMeta } from './parley-dashboard.js';

/**
 * Every Parley dashboard's fixed uid, title and purpose, in one place: the modules in
 * dashboards/ build them, the SLO landing page links to them.
 */
export const DIRECTORY = {
  slo: {
    uid: 'parley-slo',
    title: 'Parley SLOs',
    summary: 'SLIs, error budgets and burn rates, alerts, golden signals',
    description:
      'The SRE landing page: chat availability (99.9% without a 5xx over 30 days) and streamed time to first token (95% within 2.56 s), their error budgets and burn rates against the alerting thresholds, pending and firing alerts, and the golden signals per service. Rules: deploy/prometheus/rules/parley-slo.yml.',
    tags: ['slo'],
  },
  services: {
    uid: 'parley-services',
    title: 'Parley services',
    summary: 'RED per service and route, Node.js runtime (USE)',
    description:
      'RED per service and route from http_server_request_duration_seconds (exemplars link latency to traces) and USE of each Node.js process (CPU, memory, heap, event-loop lag, GC, handles). Ops endpoints (/livez, /readyz, /metrics) are left out of RED.',
    tags: ['red', 'use'],
  },
  llm: {
    uid: 'parley-llm',
    title: 'Parley LLM',
    summary: 'latency, time to first token, tokens, cost, breakers, retries, fallbacks',
    description:
      "chat-service's calls to the model (GenAI semantic conventions): latency, time to first token, tokens, estimated cost and the daily cost budget, circuit breakers, retries, fallbacks and stream aborts. Exemplars link latency to the `chat {model}` span.",
    tags: ['llm', 'genai'],
  },
  safety: {
    uid: 'parley-safety',
    title: 'Parley safety and security',
    summary: 'moderation decisions, auth failures, rate limits, kill switch, audit volume',
    description:
      'Moderation decisions by direction, action and category; authentication failures; rate limits and budgets; the kill switch; audit volume; and the traces of blocked and denied requests (TraceQL). Who was denied and why: the Parley audit dashboard.',
    tags: ['safety', 'security'],
  },
  audit: {
    uid: 'parley-audit',
    title: 'Parley audit',
    summary: 'who was denied, blocked or rate-limited, and why',
    description:
      'For security reviewers: who was denied, blocked or rate-limited, and why, from the audit records mirrored to Loki (no sampling, 7 days), next to the complete Prometheus counts. The tamper-evident trail itself: GET /api/v1/audit (180 days), integrity: GET /api/v1/audit/verify (docs/security-review.md).',
    tags: ['audit', 'security'],
    from: 'now-24h',
  },
  dependencies: {
    uid: 'parley-dependencies',
    title: 'Parley dependencies',
    summary: 'service graph and each edge',
    description:
      'Who calls whom: the service graph the collector derives from every span (before tail sampling), RED of each edge, and each dependency as its caller measures it (chat-service, LLM provider, safety-service, Redis), with the circuit breakers in front of them.',
    tags: ['dependencies', 'service-graph'],
  },
  load: {
    uid: 'parley-load',
    title: 'Parley load tests',
    summary: 'k6 next to the server side',
    description:
      'A k6 run (k6 run -o experimental-prometheus-rw with K6_PROMETHEUS_RW_TREND_STATS=p(50),p(95),p(99),max) next to what the services measured over the same time range: is the latency the client saw the server, the LLM or the network?',
    tags: ['k6', 'load'],
    from: 'now-1h',
  },
  telemetry: {
    uid: 'parley-telemetry',
    title: 'Parley telemetry pipeline',
    summary: 'spans, logs and metrics on their way to Tempo, Loki and Prometheus',
    description:
      'Is the telemetry itself healthy? Spans leaving each service, the OpenTelemetry Collector (receivers, memory limiter, tail sampling, exporters and their queues), Prometheus scrapes and ingestion, and what Tempo and Loki receive.',
    tags: ['telemetry', 'otel'],
  },
} as const satisfies Record<string, DashboardMeta>;
