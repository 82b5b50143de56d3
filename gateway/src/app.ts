import cors from 'cors';
import type { Express } from 'express';
import helmet from 'helmet';
import { createHttpApp, type AuditLog, type Health, type IdentitySigner, type Logger, type Metrics } from '@parley/platform';
import { createAccess, type RatePolicies } from './auth/access.js';
import { createAuditRecorder } from './auth/audit-recorder.js';
import { createAuthenticator } from './auth/authenticator.js';
import type { SessionService } from './domain/sessions.js';
import { createGatewayMetrics } from './gateway-metrics.js';
import type { ApiKeyStore, BootstrapAdmin, OidcVerifier } from './identity/index.js';
import type { BudgetPolicy, LimitStore } from './limits/index.js';
import { createChatServiceRelay } from './proxy/chat-service-relay.js';
import { adminRoutes } from './routes/admin.routes.js';
import { auditRoutes } from './routes/audit.routes.js';
import { breakerRoutes } from './routes/breakers.routes.js';
import { chatProxyRoutes } from './routes/chat-proxy.routes.js';
import { configRoutes, type PublicConfig } from './routes/config.routes.js';
import { feedbackRoutes } from './routes/feedback.routes.js';
import { sessionRoutes } from './routes/sessions.routes.js';
import { webRoutes } from './routes/web.routes.js';

export interface AppDeps {
  logger: Logger;
  metrics: Metrics;
  health: Health;
  sessions: SessionService;
  apiKeys: ApiKeyStore;
  bootstrapAdmin: BootstrapAdmin;
  oidc?: OidcVerifier | undefined;
  limits: LimitStore;
  audit: AuditLog;
  signer: IdentitySigner;
  chatServiceUrl: string;
  upstreamTimeoutMs: number;
  rates: RatePolicies;
  budgets: { session: BudgetPolicy; apiKey: BudgetPolicy; cost: BudgetPolicy };
  pricing: { inputUsdPerMTok: number; outputUsdPerMTok: number };
  tokenReserveOutput: number;
  chatLeaseMs: number;
  auditIpPrefix: { v4: number; v6: number };
  /** How often a repeated successful authentication of one principal is recorded (ms). */
  auditAuthSuccessIntervalMs: number;
  /** Express `trust proxy` (unset: X-Forwarded-For is ignored and the socket address is the client). */
  trustProxy?: string | undefined;
  corsOrigins: string[];
  publicConfig: PublicConfig;
  maxBodyBytes: number;
  maxMessageChars: number;
  /** Folder of the built web UI (web/dist); the UI answers 503 when it is missing. */
  webDistDir?: string | undefined;
}

/** `trust proxy` accepts a hop count, a boolean or addresses/CIDRs. */
function trustProxySetting(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** Wiring only: no I/O, no environment. */
export function createApp(deps: AppDeps): Express {
  const gatewayMetrics = createGatewayMetrics(deps.metrics);
  const audit = createAuditRecorder(deps.audit, {
    ipPrefix: deps.auditIpPrefix,
    logger: deps.logger,
    authSuccessIntervalMs: deps.auditAuthSuccessIntervalMs,
  });
  const access = createAccess({
    authenticator: createAuthenticator({ sessions: deps.sessions, apiKeys: deps.apiKeys, bootstrapAdmin: deps.bootstrapAdmin, oidc: deps.oidc }),
    limits: deps.limits,
    audit,
    metrics: gatewayMetrics,
    rates: deps.rates,
  });

  const relay = createChatServiceRelay({ target: deps.chatServiceUrl, signer: deps.signer, logger: deps.logger, metrics: gatewayMetrics, timeoutMs: deps.upstreamTimeoutMs });

  const app = createHttpApp({ logger: deps.logger, metrics: deps.metrics, health: deps.health }, (app) => {
    app.set('trust proxy', trustProxySetting(deps.trustProxy));
    app.use(helmet({ crossOriginEmbedderPolicy: false }));
    app.use(
      ['/api', '/v1'],
      cors({
        origin: deps.corsOrigins,
        methods: ['GET', 'POST', 'PUT', 'DELETE'],
        allowedHeaders: ['authorization', 'content-type', 'accept', 'x-request-id', 'traceparent', 'tracestate'],
        exposedHeaders: ['x-request-id', 'retry-after', 'ratelimit', 'ratelimit-policy', 'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests', 'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens'],
        maxAge: 600,
      }),
    );
    app.use(configRoutes(deps.publicConfig));
    app.use(sessionRoutes({ sessions: deps.sessions, access, audit, relay }));
    // Before adminRoutes: its /api/v1/admin guard would otherwise run a second time for the feedback read.
    app.use(
      feedbackRoutes({
        enabled: deps.publicConfig.feedback_enabled,
        access,
        audit,
        relay,
        maxBodyBytes: deps.maxBodyBytes,
      }),
    );
    app.use(adminRoutes({ access, audit, apiKeys: deps.apiKeys, limits: deps.limits }));
    app.use(breakerRoutes({ relay }));
    app.use(auditRoutes({ access, audit: deps.audit }));
    app.use(
      chatProxyRoutes({
        target: deps.chatServiceUrl,
        signer: deps.signer,
        logger: deps.logger,
        access,
        audit,
        limits: deps.limits,
        metrics: gatewayMetrics,
        budgets: deps.budgets,
        pricing: deps.pricing,
        tokenReserveOutput: deps.tokenReserveOutput,
        chatLeaseMs: deps.chatLeaseMs,
        upstreamTimeoutMs: deps.upstreamTimeoutMs,
        maxBodyBytes: deps.maxBodyBytes,
        maxMessageChars: deps.maxMessageChars,
        // The same limits chat-service applies (it validates again).
        openAi: { maxMessages: 100, maxTokens: 32_768 },
      }),
    );
    app.use(webRoutes(deps.webDistDir));
  });
  return app;
}
