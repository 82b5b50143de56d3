import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { activeTraceIds, type Logger, type Metrics } from '@parley/platform';
import { Counter, Histogram } from 'prom-client';
import { ACTIONS, DIRECTIONS, type Direction, type Language, type ModerationResult } from './domain/types.js';
import {
  createMatchHasher,
  findingRecords,
  type FindingAction,
  type FindingRecord,
  type PolicyActionLookup,
} from './telemetry/decision-record.js';

type Registry = Metrics['registry'];

/** Decision latency is sub-millisecond for short texts; buckets reach 1 s for outliers. */
const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** Category and rule ids come from code and the policy file; anything else shape-wise becomes `other`, so a label can never carry text. */
const LABEL_ID = /^[a-z0-9][a-z0-9_.-]{0,79}$/;
const labelId = (value: string): string => (LABEL_ID.test(value) ? value : 'other');

export const SPAN_NAME = 'safety.moderate';
export const DECISION_LOG_MESSAGE = 'safety decision';

export interface CheckDetails {
  direction: Direction;
  language?: Language | undefined;
  /** Service that asked (the identity's issuer), never a user. */
  caller?: string | undefined;
  /** The submitted text: hashed slice by slice for the record, never logged or put on the span. */
  text: string;
  /** Trace id of the request, for records written without a valid active span. */
  traceId?: string | undefined;
}

export interface ModerationTelemetry {
  /**
   * Runs one check inside a `safety.moderate` span and observes it: metrics for every decision,
   * span attributes, and one decision record for every decision that found something.
   */
  check(details: CheckDetails, moderate: () => ModerationResult): ModerationResult;
  /** The same for a check that awaits something (the model classifier); the duration includes the wait. */
  checkAsync(details: CheckDetails, moderate: () => Promise<ModerationResult>): Promise<ModerationResult>;
}

export interface ModerationTelemetryOptions {
  registry: Registry;
  logger: Logger;
  /** Keys the match hashes (SAFETY_AUDIT_SALT); equal matches hash equally only under the same salt. */
  auditSalt: string | Uint8Array;
  /** What the policy in force does for a category and direction, for each finding's `action`. */
  policyAction: PolicyActionLookup;
}

function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/**
 * Metrics, the span and the decision record of each check. Labels are bounded (direction, action,
 * category and rule come from fixed lists and the policy); the text is never logged, only its
 * length, and matches only as keyed hashes.
 */
export function createModerationTelemetry(options: ModerationTelemetryOptions): ModerationTelemetry {
  const { registry, policyAction } = options;
  const hash = createMatchHasher(options.auditSalt);
  const log = options.logger.child({ component: 'moderation' });
  const tracer = trace.getTracer('parley.safety-service');

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
  const decisionCategories = getOrCreate(
    registry,
    'safety_decision_categories_total',
    () =>
      new Counter<'direction' | 'category' | 'action'>({
        name: 'safety_decision_categories_total',
        help: 'Decisions that found a category (once per decision and category), by the action the policy takes for it: redact, block or flag.',
        labelNames: ['direction', 'category', 'action'],
        registers: [registry],
      }),
  );
  const findings = getOrCreate(
    registry,
    'safety_findings_total',
    () =>
      new Counter<'direction' | 'category' | 'rule' | 'action'>({
        name: 'safety_findings_total',
        help: 'Findings by direction, category, detector rule and the action taken for them (redact, block, flag).',
        labelNames: ['direction', 'category', 'rule', 'action'],
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

  function countFindings(direction: Direction, records: readonly FindingRecord[]): void {
    const perCategory = new Map<string, FindingAction>();
    for (const r of records) {
      const category = labelId(r.category);
      findings.inc({ direction, category, rule: labelId(r.rule), action: r.action });
      // One category has one action per direction; the first finding's stands for it.
      if (!perCategory.has(category)) perCategory.set(category, r.action);
    }
    for (const [category, action] of perCategory) decisionCategories.inc({ direction, category, action });
  }

  function fail(span: Span, err: unknown): never {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'moderation failed' });
    span.end();
    throw err;
  }

  function observe(span: Span, details: CheckDetails, started: number, result: ModerationResult): ModerationResult {
    const { direction } = details;
    const seconds = (performance.now() - started) / 1000;
    const records = findingRecords(details.text, direction, result, policyAction, hash);
    const categories = [...new Set(result.findings.map((f) => f.category))];
    const rules = [...new Set(result.findings.map((f) => f.rule))];

    decisions.inc({ direction, action: result.action });
    countFindings(direction, records);
    const traceId = activeTraceIds()?.trace_id ?? details.traceId;
    duration.observe({ labels: { direction }, value: seconds, ...(traceId ? { exemplarLabels: { trace_id: traceId } } : {}) });

    // A block is a decision, not an error: the status stays unset.
    span.setAttributes({
      'parley.safety.action': result.action,
      'parley.safety.categories': categories,
      'parley.safety.rules': rules,
      'parley.safety.finding_count': result.findings.length,
      'parley.safety.policy_version': result.policy_version,
      ...(details.language ? { 'parley.safety.language': details.language } : {}),
    });
    span.end();

    // Clean allows are only counted; anything found (a redaction, a block, or a flag in an allow) is recorded.
    if (result.action !== 'allow' || records.length > 0) {
      log.info(
        {
          direction,
          action: result.action,
          policy_version: result.policy_version,
          ...(details.caller ? { caller: details.caller } : {}),
          ...(details.language ? { language: details.language } : {}),
          text_length: details.text.length,
          duration_ms: Math.round(seconds * 1e6) / 1e3,
          categories,
          finding_count: records.length,
          findings: records,
          // In the span's context (ended, still active) the logger's mixin writes trace_id and span_id.
          ...(activeTraceIds() || !details.traceId ? {} : { trace_id: details.traceId }),
        },
        DECISION_LOG_MESSAGE,
      );
    }
    return result;
  }

  const spanOptions = (details: CheckDetails) => ({
    kind: SpanKind.INTERNAL,
    attributes: { 'parley.safety.direction': details.direction, 'parley.safety.text_length': details.text.length },
  });

  return {
    check(details, moderate) {
      return tracer.startActiveSpan(SPAN_NAME, spanOptions(details), (span) => {
        const started = performance.now();
        let result: ModerationResult;
        try {
          result = moderate();
        } catch (err) {
          fail(span, err);
        }
        return observe(span, details, started, result);
      });
    },
    checkAsync(details, moderate) {
      return tracer.startActiveSpan(SPAN_NAME, spanOptions(details), async (span) => {
        const started = performance.now();
        let result: ModerationResult;
        try {
          result = await moderate();
        } catch (err) {
          fail(span, err);
        }
        return observe(span, details, started, result);
      });
    },
  };
}
