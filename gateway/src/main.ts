import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import {
  createIdentitySigner,
  createMemoryAuditLog,
  createRedis,
  createRedisAuditLog,
  deriveSecret,
  runService,
  type AuditLog,
} from '@parley/platform';
import { shutdownTelemetry } from '@parley/platform/instrumentation';
import { createMemorySessionStore } from './adapters/memory-session-store.js';
import { createRedisSessionStore } from './adapters/redis-session-store.js';
import { createApp } from './app.js';
import { configSchema } from './config.js';
import { SessionService, type SessionStore } from './domain/sessions.js';
import {
  createBootstrapAdmin,
  createMemoryApiKeyStore,
  createOidcVerifier,
  createRedisApiKeyStore,
  type ApiKeyStore,
} from './identity/index.js';
import {
  COST_BUDGET_POLICY,
  LIMITS_REDIS_OPTIONS,
  createInstrumentedLimitStore,
  createMemoryLimitStore,
  createRedisLimitStore,
  createResilientLimitStore,
  type LimitStore,
} from './limits/index.js';

await runService({
  name: 'gateway',
  schema: configSchema,
  env: process.env,
  flushTelemetry: shutdownTelemetry,
  async build(config, { logger, metrics, health, onShutdown }) {
    const pepper = config.API_KEY_PEPPER ?? deriveSecret(config.INTERNAL_SECRET, 'api-key-pepper').toString('base64url');
    let sessionStore: SessionStore;
    let apiKeys: ApiKeyStore;
    let limits: LimitStore;
    let audit: AuditLog;
    if (config.REDIS_URL) {
      const redis = createRedis(config.REDIS_URL, logger, 'gateway');
      // Limits get their own connection: fail fast (no offline queue) so the Redis-failure policy applies at once.
      const limitsRedis = new Redis(config.REDIS_URL, { ...LIMITS_REDIS_OPTIONS, commandTimeout: config.LIMITS_REDIS_TIMEOUT_MS, connectionName: 'gateway-limits' });
      limitsRedis.on('error', () => {}); // state changes are logged by the resilient store
      // Without an offline queue, checks before the connection is up would count as Redis failing.
      await Promise.race([once(limitsRedis, 'ready'), delay(3_000, undefined, { ref: false })]);
      const sessions = createRedisSessionStore(redis);
      sessionStore = sessions;
      apiKeys = createRedisApiKeyStore(redis, { pepper });
      limits = createResilientLimitStore(createRedisLimitStore(limitsRedis), {
        onRedisFailure: config.LIMITS_ON_REDIS_FAILURE,
        fallback: createMemoryLimitStore(),
        logger,
        registry: metrics.registry,
      });
      audit = createRedisAuditLog(redis, { logger, registry: metrics.registry, retentionDays: config.AUDIT_RETENTION_DAYS });
      health.addCheck('redis', () => sessions.ping());
      onShutdown(async () => {
        await Promise.allSettled([redis.quit(), limitsRedis.quit()]);
      });
    } else {
      logger.warn('REDIS_URL is not set: sessions, API keys, limits and the audit trail are kept in memory (single-process demo only, lost on restart)');
      sessionStore = createMemorySessionStore();
      apiKeys = createMemoryApiKeyStore({ pepper });
      limits = createInstrumentedLimitStore(createMemoryLimitStore(), { registry: metrics.registry });
      audit = createMemoryAuditLog({ logger, registry: metrics.registry, retentionDays: config.AUDIT_RETENTION_DAYS });
    }
    // Retention: trim the audit trail hourly (each replica; trimming is idempotent).
    const trim = setInterval(() => {
      audit.trim().catch((err: unknown) => logger.error({ err }, 'audit trim failed'));
    }, 3_600_000);
    trim.unref();
    onShutdown(() => clearInterval(trim));

    if (!config.ADMIN_API_KEY) logger.warn('ADMIN_API_KEY is not set: no bootstrap admin; the admin API is reachable only with keys created earlier');
    const oidc = config.OIDC_JWKS_URL
      ? createOidcVerifier({
          jwksUrl: config.OIDC_JWKS_URL,
          issuer: config.OIDC_ISSUER ?? '',
          audience: config.OIDC_AUDIENCE ?? '',
          algorithms: config.OIDC_ALGORITHMS,
          roleClaim: config.OIDC_ROLE_CLAIM,
          roleMap: config.OIDC_ROLE_MAP,
          subjectSecret: deriveSecret(config.INTERNAL_SECRET, 'oidc-subject').toString('base64url'),
        })
      : undefined;

    const window = config.RATE_LIMIT_WINDOW_SECONDS;
    return createApp({
      logger,
      metrics,
      health,
      sessions: new SessionService(
        sessionStore,
        config.SESSION_IDLE_TIMEOUT_SECONDS,
        config.SESSION_TOKEN_SECRET ? Buffer.from(config.SESSION_TOKEN_SECRET) : deriveSecret(config.INTERNAL_SECRET, 'session-token'),
      ),
      apiKeys,
      bootstrapAdmin: createBootstrapAdmin(config.ADMIN_API_KEY),
      oidc,
      limits,
      audit,
      signer: createIdentitySigner({ secret: config.INTERNAL_SECRET, issuer: 'gateway' }),
      chatServiceUrl: config.CHAT_SERVICE_URL,
      upstreamTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
      rates: {
        ip: { name: 'ip', limit: config.RATE_LIMIT_IP_PER_MINUTE, windowSeconds: window },
        session: { name: 'session', limit: config.RATE_LIMIT_SESSION_PER_MINUTE, windowSeconds: window },
        apiKey: { name: 'api_key', limit: config.RATE_LIMIT_API_KEY_PER_MINUTE, windowSeconds: window },
      },
      budgets: {
        session: { name: 'session_tokens', limit: config.TOKEN_BUDGET_SESSION_PER_DAY },
        apiKey: { name: 'api_key_tokens', limit: config.TOKEN_BUDGET_API_KEY_PER_DAY },
        cost: { name: COST_BUDGET_POLICY, limit: Math.round(config.COST_BUDGET_USD_PER_DAY * 1_000_000) },
      },
      pricing: { inputUsdPerMTok: config.PRICE_INPUT_USD_PER_MTOK, outputUsdPerMTok: config.PRICE_OUTPUT_USD_PER_MTOK },
      tokenReserveOutput: config.TOKEN_RESERVE_OUTPUT,
      chatLeaseMs: config.CHAT_LEASE_MS,
      auditIpPrefix: { v4: config.AUDIT_IP_V4_PREFIX, v6: config.AUDIT_IP_V6_PREFIX },
      auditAuthSuccessIntervalMs: config.AUDIT_AUTH_SUCCESS_INTERVAL_SECONDS * 1000,
      trustProxy: config.TRUST_PROXY,
      corsOrigins: config.CORS_ORIGINS,
      maxBodyBytes: config.MAX_BODY_BYTES,
      maxMessageChars: config.MAX_MESSAGE_CHARS,
      webDistDir: config.WEB_DIST_DIR ?? fileURLToPath(new URL('../../web/dist', import.meta.url)),
      publicConfig: {
        languages: ['en', 'de', 'fr'],
        feedback_enabled: config.FEEDBACK_ENABLED,
        consent_mode: config.CONSENT_MODE,
        ...(config.PRIVACY_URL ? { privacy_url: config.PRIVACY_URL } : {}),
        limits: { max_message_chars: config.MAX_MESSAGE_CHARS, session_idle_timeout_seconds: config.SESSION_IDLE_TIMEOUT_SECONDS },
      },
    });
  },
});
