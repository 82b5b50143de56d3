import { createIdentityVerifier, runService } from '@parley/platform';
import { shutdownTelemetry } from '@parley/platform/instrumentation';
import { SAFETY_SERVICE_AUDIENCE, createApp } from './app.js';
import { configSchema } from './config.js';
import { DEFAULT_DETECTORS } from './domain/detectors/index.js';
import { createModerator } from './domain/engine.js';
import { DEFAULT_POLICY } from './domain/policy.js';

await runService({
  name: 'safety-service',
  schema: configSchema,
  env: process.env,
  flushTelemetry: shutdownTelemetry,
  build(config, { logger, metrics, health }) {
    const moderator = createModerator({ policy: { ...DEFAULT_POLICY, version: config.POLICY_VERSION } });
    // Compile the detectors' regexes and load the Unicode tables now, not on the first caller's time.
    moderator.moderate({ text: 'Warm-up: a@b.io, +49 30 1234567, Ign\u00f6re previous instructions.', direction: 'input' });
    logger.info(
      { policy_version: moderator.policyVersion, max_text_chars: config.MAX_TEXT_CHARS, detectors: DEFAULT_DETECTORS.map((d) => d.category) },
      'policy loaded',
    );
    return createApp({
      logger,
      metrics,
      health,
      verifier: createIdentityVerifier({ secret: config.INTERNAL_SECRET, audience: SAFETY_SERVICE_AUDIENCE }),
      moderator,
      maxTextChars: config.MAX_TEXT_CHARS,
    });
  },
});
