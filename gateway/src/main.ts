import { fileURLToPath } from 'node:url';
import { createIdentitySigner, createRedis, runService } from '@parley/platform';
import { shutdownTelemetry } from '@parley/platform/instrumentation';
import { createMemorySessionStore } from './adapters/memory-session-store.js';
import { createRedisSessionStore } from './adapters/redis-session-store.js';
import { createApp } from './app.js';
import { configSchema } from './config.js';
import { SessionService, type SessionStore } from './domain/sessions.js';

await runService({
  name: 'gateway',
  schema: configSchema,
  env: process.env,
  flushTelemetry: shutdownTelemetry,
  build(config, { logger, metrics, health, onShutdown }) {
    let store: SessionStore;
    if (config.REDIS_URL) {
      const redis = createRedis(config.REDIS_URL, logger, 'gateway');
      const redisStore = createRedisSessionStore(redis);
      store = redisStore;
      health.addCheck('redis', () => redisStore.ping());
      onShutdown(async () => void (await redis.quit()));
    } else {
      logger.warn('REDIS_URL is not set: sessions are kept in memory (single-process demo only, lost on restart)');
      store = createMemorySessionStore();
    }
    return createApp({
      logger,
      metrics,
      health,
      sessions: new SessionService(store, config.SESSION_IDLE_TIMEOUT_SECONDS),
      signer: createIdentitySigner({ secret: config.INTERNAL_SECRET, issuer: 'gateway' }),
      chatServiceUrl: config.CHAT_SERVICE_URL,
      maxBodyBytes: config.MAX_BODY_BYTES,
      webDistDir: config.WEB_DIST_DIR ?? fileURLToPath(new URL('../../web/dist', import.meta.url)),
      publicConfig: {
        languages: ['en', 'de', 'fr'],
        feedback_enabled: config.FEEDBACK_ENABLED,
        consent_mode: config.CONSENT_MODE,
        limits: { max_message_chars: config.MAX_MESSAGE_CHARS, session_idle_timeout_seconds: config.SESSION_IDLE_TIMEOUT_SECONDS },
      },
    });
  },
});
