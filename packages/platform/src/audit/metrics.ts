import { Counter, Histogram, type Metric } from 'prom-client';
import type { AuditRegistry } from './types.js';

export interface AuditMetrics {
  writes: Counter<'type' | 'outcome'>;
  writeDuration: Histogram;
  appendRetries: Counter;
}

const WRITE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Audit metrics on `registry` (reused when another audit log in the same process already
 * registered them there), or unregistered when there is no registry.
 */
export function createAuditMetrics(registry: AuditRegistry | undefined): AuditMetrics {
  const registers = registry ? [registry] : [];
  const existing = <T extends Metric>(name: string): T | undefined => registry?.getSingleMetric(name) as T | undefined;
  return {
    writes:
      existing<Counter<'type' | 'outcome'>>('audit_writes_total') ??
      new Counter({
        name: 'audit_writes_total',
        help: 'Audit appends by event type (known types, else "other") and outcome (ok or error).',
        labelNames: ['type', 'outcome'] as const,
        registers,
      }),
    writeDuration:
      existing<Histogram>('audit_write_duration_seconds') ??
      new Histogram({
        name: 'audit_write_duration_seconds',
        help: 'Time from append() to the record being stored (or failing), including retries after losing a race.',
        buckets: WRITE_BUCKETS,
        registers,
      }),
    appendRetries:
      existing<Counter>('audit_append_retries_total') ??
      new Counter({
        name: 'audit_append_retries_total',
        help: 'Compare-and-append attempts retried because another writer moved the chain head first.',
        registers,
      }),
  };
}
