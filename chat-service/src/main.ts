import { createIdentitySigner, createIdentityVerifier, createRedis, runService } from '@parley/platform';
import { shutdownTelemetry } from '@parley/platform/instrumentation';
import { createHttpSafetyClient } from './adapters/http-safety-client.js';
import { createMemoryConversationStore } from './adapters/memory-conversation-store.js';
import { createOpenAiLlm } from './adapters/openai-llm.js';
import { createRedisConversationStore } from './adapters/redis-conversation-store.js';
import { createApp } from './app.js';
import { configSchema } from './config.js';
import type { ConversationStore } from './domain/ports.js';
import { DEFAULT_SYSTEM_PROMPTS } from './domain/prompt.js';

await runService({
  name: 'chat-service',
  schema: configSchema,
  env: process.env,
  flushTelemetry: shutdownTelemetry,
  build(config, { logger, metrics, health, onShutdown }) {
    const storeOptions = { idleTtlSeconds: config.SESSION_IDLE_TIMEOUT_SECONDS, maxMessages: config.HISTORY_MAX_MESSAGES };
    let store: ConversationStore;
    if (config.REDIS_URL) {
      const redis = createRedis(config.REDIS_URL, logger, 'chat-service');
      const redisStore = createRedisConversationStore(redis, storeOptions);
      store = redisStore;
      health.addCheck('redis', () => redisStore.ping());
      onShutdown(async () => void (await redis.quit()));
    } else {
      logger.warn('REDIS_URL is not set: conversations are kept in memory (single-process demo only, lost on restart)');
      store = createMemoryConversationStore(storeOptions);
    }
    if (!config.OPENAI_API_KEY) {
      logger.warn({ base_url: config.OPENAI_BASE_URL }, 'OPENAI_API_KEY is not set: using a keyless OpenAI-compatible endpoint (llm-sim by default)');
    }
    logger.info({ model: config.LLM_MODEL, base_url: config.OPENAI_BASE_URL }, 'LLM configured');

    return createApp({
      logger,
      metrics,
      health,
      store,
      llm: createOpenAiLlm({ apiKey: config.OPENAI_API_KEY ?? 'llm-sim', baseURL: config.OPENAI_BASE_URL, timeoutMs: config.LLM_TIMEOUT_MS }),
      safety: createHttpSafetyClient({
        baseUrl: config.SAFETY_SERVICE_URL,
        timeoutMs: config.SAFETY_TIMEOUT_MS,
        signer: createIdentitySigner({ secret: config.INTERNAL_SECRET, issuer: 'chat-service' }),
      }),
      verifier: createIdentityVerifier({ secret: config.INTERNAL_SECRET, audience: 'chat-service' }),
      chat: {
        model: config.LLM_MODEL,
        maxTokens: config.LLM_MAX_TOKENS,
        temperature: config.LLM_TEMPERATURE,
        historyLimit: config.HISTORY_MAX_MESSAGES,
        safetyWindowChars: config.SAFETY_WINDOW_CHARS,
        safetyHoldbackChars: config.SAFETY_HOLDBACK_CHARS,
        safetyFlushMs: config.SAFETY_FLUSH_MS,
        systemPrompts: {
          en: config.SYSTEM_PROMPT_EN ?? DEFAULT_SYSTEM_PROMPTS.en,
          de: config.SYSTEM_PROMPT_DE ?? DEFAULT_SYSTEM_PROMPTS.de,
          fr: config.SYSTEM_PROMPT_FR ?? DEFAULT_SYSTEM_PROMPTS.fr,
        },
      },
      maxMessageChars: config.MAX_MESSAGE_CHARS,
    });
  },
});
