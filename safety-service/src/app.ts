import { randomBytes } from 'node:crypto';
import { createHttpApp, type Health, type IdentityVerifier, type Logger, type Metrics } from '@parley/platform';
import type { Express } from 'express';
import { DEFAULT_MAX_TEXT_CHARS } from './config.js';
import { createModerator, type Moderator } from './domain/engine.js';
import { DEFAULT_POLICY, ruleFor } from './domain/policy.js';
import { createModerationTelemetry } from './moderation-telemetry.js';
import type { PolicyActionLookup } from './telemetry/decision-record.js';
import { moderateRoutes, type ClassifierGate } from './routes/moderate.routes.js';
import { OPENAI_CLASSIFIER_RULE } from './domain/classifier.js';

/** The audience safety-service accepts in the internal identity; callers sign for it. */
export const SAFETY_SERVICE_AUDIENCE = 'safety-service';

export interface AppDeps {
  logger: Logger;
  metrics: Metrics;
  health: Health;
  /** Verifies the identity other Parley services sign with INTERNAL_SECRET. */
  verifier: IdentityVerifier;
  /** Default: the engine with the built-in policy and detectors. */
  moderator?: Moderator;
  /** Default: 32000. */
  maxTextChars?: number;
  /** Keys the match hashes in decision records (SAFETY_AUDIT_SALT). Default: random per app, so hashes correlate only within it. */
  auditSalt?: string | Uint8Array;
  /** The policy's action per category and direction, for each recorded finding. Default: the built-in policy's. */
  policyAction?: PolicyActionLookup;
  /**
   * The optional model classifier (SAFETY_CLASSIFIER), built in main.ts: consulted after the
   * engine when its decision is not already a block, never for streamed windows. Absent: off.
   */
  classifier?: ClassifierGate;
  /** A classifier category scoring at least this becomes a finding. Default: 0.5. */
  classifierThreshold?: number;
  /** The rule id of classifier findings. Default: classifier.openai.v1. */
  classifierRule?: string;
}

/** Wiring only: no listening, no environment, no I/O. */
export function createApp(deps: AppDeps): Express {
  const moderator = deps.moderator ?? createModerator();
  const policyAction: PolicyActionLookup = deps.policyAction ?? ((category, direction) => ruleFor(DEFAULT_POLICY, category, direction));
  const telemetry = createModerationTelemetry({
    registry: deps.metrics.registry,
    logger: deps.logger,
    auditSalt: deps.auditSalt ?? randomBytes(32),
    policyAction,
  });
  return createHttpApp(
    // Every path speaks RFC 9457: /v1/moderate is internal, not the OpenAI-compatible surface.
    { logger: deps.logger, metrics: deps.metrics, health: deps.health, errorFormat: () => 'problem' },
    (app) => {
      app.use(
        moderateRoutes({
          moderator,
          telemetry,
          verifier: deps.verifier,
          maxTextChars: deps.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS,
          classifier: deps.classifier && {
            gate: deps.classifier,
            threshold: deps.classifierThreshold ?? 0.5,
            rule: deps.classifierRule ?? OPENAI_CLASSIFIER_RULE,
            // The policy in force decides what a classifier category does, as for the engine's findings.
            ruleFor: policyAction,
          },
        }),
      );
    },
  );
}
