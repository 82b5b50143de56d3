import { createIdentityVerifier, deriveSecret, resolvePromptConfig, runService } from '@parley/platform';
import { shutdownTelemetry } from '@parley/platform/instrumentation';
import { SAFETY_SERVICE_AUDIENCE, createApp } from './app.js';
import { configSchema, resolveClassifierEndpoint } from './config.js';
import { createGuardedClassifier, type GuardedClassifier } from './adapters/guarded-classifier.js';
import { createOpenAiClassifier } from './adapters/openai-classifier.js';
import { createDetectors } from './domain/detectors/index.js';
import { createModerator, type Moderator } from './domain/engine.js';
import { ruleFor, type Policy } from './domain/policy.js';
import { loadPolicy } from './policy/policy-file.js';
import { createModeratorHolder, createPolicyMetrics, startPolicyReloader } from './policy/policy-reloader.js';

await runService({
  name: 'safety-service',
  schema: configSchema,
  env: process.env,
  flushTelemetry: shutdownTelemetry,
  async build(config, { logger, metrics, health, onShutdown }) {
    // The prompts and canary chat-service sends (same variables, same defaults), for system_prompt_leak.
    const prompts = resolvePromptConfig(config);
    const detectors = createDetectors({
      systemPromptLeak: { canary: prompts.canary, prompts: [...Object.values(prompts.systemPrompts), ...(prompts.persona ? [prompts.persona] : [])] },
    });
    // The policy behind the engine in force: decision records name each finding's action by it.
    let current: Policy | undefined;
    const build = (policy: Policy): Moderator => {
      const engine = createModerator({ policy, detectors });
      // Compile the detectors' regexes and load the Unicode tables now, not on the first caller's time.
      engine.moderate({ text: 'Warm-up: a@b.io, +49 30 1234567, Ign\u00f6re previous instructions.', direction: 'input' });
      engine.moderate({ text: 'Warm-up: a reply.', direction: 'output' });
      current = policy;
      return engine;
    };
    const source = { preset: config.POLICY_PRESET, file: config.POLICY_FILE };
    const loaded = await loadPolicy(source).catch((err: unknown) => {
      // A bad policy at start is a bad deployment: fail fast, naming the file and each bad path.
      logger.fatal({ err, policy_file: config.POLICY_FILE, policy_preset: config.POLICY_PRESET }, 'policy invalid');
      process.exit(1);
    });
    const moderator = createModeratorHolder(build(loaded.policy));
    const policyMetrics = createPolicyMetrics(metrics.registry);
    policyMetrics.inForce(moderator.policyVersion);
    if (config.POLICY_FILE && loaded.fileText !== undefined) {
      const reloader = startPolicyReloader({
        file: config.POLICY_FILE,
        appliedText: loaded.fileText,
        holder: moderator,
        build,
        logger,
        metrics: policyMetrics,
        intervalMs: config.POLICY_RELOAD_INTERVAL_MS,
      });
      // SIGHUP: check now instead of at the next tick (and do not die, SIGHUP's default).
      process.on('SIGHUP', () => void reloader.check());
      onShutdown(() => reloader.stop());
    }
    logger.info(
      { policy_version: moderator.policyVersion, policy_file: config.POLICY_FILE, policy_preset: config.POLICY_FILE ? undefined : config.POLICY_PRESET, max_text_chars: config.MAX_TEXT_CHARS, detectors: detectors.map((d) => d.category), prompt_canary: prompts.canaryConfigured ? 'configured' : 'derived' },
      'policy loaded',
    );
    let classifier: GuardedClassifier | undefined;
    if (config.SAFETY_CLASSIFIER === 'openai') {
      const endpoint = resolveClassifierEndpoint(config);
      classifier = createGuardedClassifier({
        // llm-sim takes any key; the SDK insists on one.
        classifier: createOpenAiClassifier({ baseURL: endpoint.baseURL, apiKey: endpoint.apiKey ?? 'llm-sim', model: config.SAFETY_CLASSIFIER_MODEL }),
        timeoutMs: config.SAFETY_CLASSIFIER_TIMEOUT_MS,
        cache: { size: config.SAFETY_CLASSIFIER_CACHE_SIZE, ttlMs: config.SAFETY_CLASSIFIER_CACHE_TTL_MS },
        registry: metrics.registry,
        logger,
        kind: 'openai',
      });
      onShutdown(() => classifier?.shutdown());
      // The URL's origin only (a URL can carry credentials); the key is never logged.
      logger.info(
        { classifier: 'openai', classifier_origin: new URL(endpoint.baseURL).origin, classifier_endpoint: endpoint.source, classifier_model: config.SAFETY_CLASSIFIER_MODEL, classifier_api_key: endpoint.apiKey ? 'configured' : 'unset', timeout_ms: config.SAFETY_CLASSIFIER_TIMEOUT_MS, threshold: config.SAFETY_CLASSIFIER_THRESHOLD },
        endpoint.source === 'llm-sim' ? 'model classifier on, against llm-sim (no API key configured)' : 'model classifier on',
      );
    }
    return createApp({
      logger,
      metrics,
      health,
      verifier: createIdentityVerifier({ secret: config.INTERNAL_SECRET, audience: SAFETY_SERVICE_AUDIENCE }),
      moderator,
      maxTextChars: config.MAX_TEXT_CHARS,
      // Stable across restarts and replicas, so equal matches correlate in the decision records.
      auditSalt: config.SAFETY_AUDIT_SALT ?? deriveSecret(config.INTERNAL_SECRET, 'safety-audit'),
      policyAction: (category, direction) => ruleFor(current ?? loaded.policy, category, direction),
      ...(classifier ? { classifier, classifierThreshold: config.SAFETY_CLASSIFIER_THRESHOLD } : {}),
    });
  },
});
