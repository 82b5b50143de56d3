import { SafetyUnavailableError, createIdentitySigner, createIdentityVerifier, createRedis, resolvePromptConfig, runService, createBreakers } from '@parley/platform';
import { shutdownTelemetry } from '@parley/platform/instrumentation';
import { createHttpSafetyClient } from './adapters/http-safety-client.js';
import { createMemoryConversationStore } from './adapters/memory-conversation-store.js';
import { createRedisConversationStore } from './adapters/redis-conversation-store.js';
import { createApp } from './app.js';
import { configSchema } from './config.js';
import type { ConversationStore } from './domain/ports.js';
import { withCanaries } from './domain/prompt.js';
import { createResilientLlm } from './llm/create-llm.js';
import { isUpstreamFailure } from './llm/resilient-llm.js';
import { withBreaker } from './resilience/guarded-safety.js';
import { createMemoryFeedbackStore, createRedisFeedbackStore, startFeedbackRetention, type FeedbackStore } from './feedback/index.js';

await runService({
  name: 'chat-service',
  schema: configSchema,
  env: process.env,
  flushTelemetry: shutdownTelemetry,
  build(config, { logger, metrics, health, onShutdown }) {
    // Conversations live as long as the session idles, or the retention period when that is longer.
    const storeOptions = { idleTtlSeconds: Math.max(config.SESSION_IDLE_TIMEOUT_SECONDS, config.CONVERSATION_RETENTION_SECONDS), maxMessages: config.HISTORY_MAX_MESSAGES };
    let store: ConversationStore;
    const feedbackOptions = { retentionDays: config.FEEDBACK_RETENTION_DAYS };
    let feedbackStore: FeedbackStore;
    if (config.REDIS_URL) {
      const redis = createRedis(config.REDIS_URL, logger, 'chat-service');
      const redisStore = createRedisConversationStore(redis, storeOptions);
      store = redisStore;
      feedbackStore = createRedisFeedbackStore(redis, feedbackOptions);
      health.addCheck('redis', () => redisStore.ping());
      onShutdown(async () => void (await redis.quit()));
    } else {
      logger.warn('REDIS_URL is not set: conversations are kept in memory (single-process demo only, lost on restart)');
      const memoryStore = createMemoryConversationStore(storeOptions);
      store = memoryStore;
      const sweeper = setInterval(() => {
        const purged = memoryStore.sweep();
        if (purged > 0) logger.debug({ purged }, 'expired conversations purged');
      }, 60_000);
      sweeper.unref();
      onShutdown(async () => clearInterval(sweeper));
      feedbackStore = createMemoryFeedbackStore(feedbackOptions);
    }
    onShutdown(startFeedbackRetention(feedbackStore, logger));
    if (!config.OPENAI_API_KEY) {
      logger.warn({ base_url: config.OPENAI_BASE_URL }, 'OPENAI_API_KEY is not set: using a keyless OpenAI-compatible endpoint (llm-sim by default)');
    }
    logger.info(
      { model: config.LLM_MODEL, models: config.LLM_MODELS, provider: config.LLM_PROVIDER, base_url: config.OPENAI_BASE_URL, fallbacks: config.LLM_FALLBACKS.map((f) => f.model) },
      'LLM configured',
    );
    const breakers = createBreakers({
      options: {
        errorThresholdPercentage: config.BREAKER_ERROR_THRESHOLD_PERCENT,
        volumeThreshold: config.BREAKER_VOLUME_THRESHOLD,
        resetTimeoutMs: config.BREAKER_RESET_TIMEOUT_MS,
        rollingWindowMs: config.BREAKER_WINDOW_MS,
      },
      registry: metrics.registry,
      logger,
      isFailure: (err) => isUpstreamFailure(err) || err instanceof SafetyUnavailableError,
    });
    onShutdown(async () => breakers.shutdown());
    const primary = { provider: config.LLM_PROVIDER, baseURL: config.OPENAI_BASE_URL, apiKey: config.OPENAI_API_KEY ?? 'llm-sim' };
    const llm = createResilientLlm(
      {
        primary,
        models: config.LLM_MODELS,
        fallbacks: config.LLM_FALLBACKS.map((f) => ({
          model: f.model,
          provider: f.provider ?? primary.provider,
          baseURL: f.base_url ?? primary.baseURL,
          apiKey: f.api_key_env ? (process.env[f.api_key_env] ?? 'unset') : primary.apiKey,
        })),
        policy: {
          maxAttempts: config.LLM_MAX_ATTEMPTS,
          backoffBaseMs: config.LLM_RETRY_BASE_MS,
          backoffMaxMs: config.LLM_RETRY_MAX_MS,
          maxRetryAfterMs: config.LLM_MAX_RETRY_AFTER_MS,
          attemptTimeoutMs: config.LLM_TIMEOUT_MS,
          deadlineMs: config.LLM_DEADLINE_MS,
          streamIdleTimeoutMs: config.LLM_STREAM_IDLE_TIMEOUT_MS,
        },
        prices: config.LLM_PRICES,
        defaultPrice: { input_usd_per_mtok: config.LLM_DEFAULT_INPUT_USD_PER_MTOK, output_usd_per_mtok: config.LLM_DEFAULT_OUTPUT_USD_PER_MTOK },
        captureContent: config.LLM_CAPTURE_CONTENT,
      },
      { registry: metrics.registry, logger, breakers },
    );
    // The canary is a secret of the deployment: logged only as where it came from.
    const prompts = resolvePromptConfig(config);
    logger.info({ prompt_canary: prompts.canaryConfigured ? 'configured' : 'derived', persona: prompts.persona !== undefined }, 'system prompts configured');
    const fallbackMessages =
      config.LLM_FALLBACK_MESSAGE_EN && config.LLM_FALLBACK_MESSAGE_DE && config.LLM_FALLBACK_MESSAGE_FR
        ? { en: config.LLM_FALLBACK_MESSAGE_EN, de: config.LLM_FALLBACK_MESSAGE_DE, fr: config.LLM_FALLBACK_MESSAGE_FR }
        : undefined;

    return createApp({
      logger,
      metrics,
      health,
      store,
      llm,
      llmModels: () => llm.models(),
      breakers,
      safety: withBreaker(
        createHttpSafetyClient({
          baseUrl: config.SAFETY_SERVICE_URL,
          timeoutMs: config.SAFETY_TIMEOUT_MS,
          signer: createIdentitySigner({ secret: config.INTERNAL_SECRET, issuer: 'chat-service' }),
        }),
        breakers.get('safety-service', 'safety'),
        { registry: metrics.registry },
      ),
      verifier: createIdentityVerifier({ secret: config.INTERNAL_SECRET, audience: 'chat-service' }),
      chat: {
        model: config.LLM_MODEL,
        maxTokens: config.LLM_MAX_TOKENS,
        temperature: config.LLM_TEMPERATURE,
        historyLimit: config.HISTORY_MAX_MESSAGES,
        contextTokens: config.LLM_CONTEXT_TOKENS,
        persona: prompts.persona,
        fallbackMessages,
        safetyWindowChars: config.SAFETY_WINDOW_CHARS,
        safetyHoldbackChars: config.SAFETY_HOLDBACK_CHARS,
        safetyFlushMs: config.SAFETY_FLUSH_MS,
        systemPrompts: withCanaries(prompts.systemPrompts, prompts.canary),
      },
      maxMessageChars: config.MAX_MESSAGE_CHARS,
      feedback: { store: feedbackStore, enabled: config.FEEDBACK_ENABLED, maxCommentChars: config.FEEDBACK_COMMENT_MAX_CHARS },
    });
  },
});
