import { activeTraceIds, type Logger, type Metrics } from '@parley/platform';
import { Counter, Histogram } from 'prom-client';
import { ACTIONS, DIRECTIONS, type Direction, type ModerationResult } from './domain/types.js';

type Registry = Metrics['registry'];

/** Decision latency is sub-millisecond for short texts; buckets reach 1 s for outliers. */
const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export interface DecisionDetails {
  direction: Direction;
  language?: string | undefined;
  /** Service that asked (the identity's issuer), never a user. */
  caller?: string | undefined;
  textLength: number;
  durationSeconds: number;
  result: ModerationResult;
  /** Trace id of the request, for log lines written outside an active span. */
  traceId?: string | undefined;
}

export interface ModerationTelemetry {
  record(details: DecisionDetails): void;
}

function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/**
 * Metrics and the one log line per decision. Labels are bounded (direction, action, category
 * come from fixed lists); the text itself is never logged, only its length.
 */
export function createModerationTelemetry(options: { registry: Registry; logger: Logger }): ModerationTelemetry {
  const { registry } = options;
  const log = options.logger.child({ component: 'moderation' });
  const decisions = getOrCreate(
    registry,
    'safety_decisions_total',
    () =>
      new Counter<'direction' | 'action'>({
        name: 'safety_decisions_total',
        help: 'Moderation decisions by direction and action.',
        labelNames: ['direction', 'action'],
        registers: [registry],
      }),
  );
  const findings = getOrCreate(
    registry,
    'safety_findings_total',
    () =>
      new Counter<'category'>({
        name: 'safety_findings_total',
        help: 'Findings by category.',
        labelNames: ['category'],
        registers: [registry],
      }),
  );
  const duration = getOrCreate(
    registry,
    'safety_check_duration_seconds',
    () =>
      new Histogram<'direction' | 'trace_id'>({
        name: 'safety_check_duration_seconds',
        help: 'Time spent deciding, by direction.',
        labelNames: ['direction'],
        buckets: DURATION_BUCKETS,
        registers: [registry],
        enableExemplars: true,
      }),
  );
  // Zero series up front, so dashboards and rate() see every combination before it happens.
  for (const direction of DIRECTIONS) for (const action of ACTIONS) decisions.inc({ direction, action }, 0);

  return {
    record(details) {
      const { direction, result } = details;
      const categories = [...new Set(result.findings.map((f) => f.category))];
      decisions.inc({ direction, action: result.action });
      for (const f of result.findings) findings.inc({ category: f.category });
      duration.observe({
        labels: { direction },
        value: details.durationSeconds,
        ...(details.traceId ? { exemplarLabels: { trace_id: details.traceId } } : {}),
      });
      log.info(
        {
          direction,
          action: result.action,
          categories,
          rules: [...new Set(result.findings.map((f) => f.rule))],
          findings: result.findings.length,
          policy_version: result.policy_version,
          ...(details.language ? { language: details.language } : {}),
          ...(details.caller ? { caller: details.caller } : {}),
          text_length: details.textLength,
          duration_ms: Math.round(details.durationSeconds * 1e6) / 1e3,
          ...(activeTraceIds() || !details.traceId ? {} : { trace_id: details.traceId }),
        },
        'moderation decision',
      );
    },
  };
}
