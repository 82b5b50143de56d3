import type { Express } from 'express';
import helmet from 'helmet';
import { createHttpApp, type Health, type IdentitySigner, type Logger, type Metrics } from '@parley/platform';
import type { SessionService } from './domain/sessions.js';
import { chatProxyRoutes } from './routes/chat-proxy.routes.js';
import { configRoutes, type PublicConfig } from './routes/config.routes.js';
import { sessionRoutes } from './routes/sessions.routes.js';
import { webRoutes } from './routes/web.routes.js';

export interface AppDeps {
  logger: Logger;
  metrics: Metrics;
  health: Health;
  sessions: SessionService;
  signer: IdentitySigner;
  chatServiceUrl: string;
  publicConfig: PublicConfig;
  maxBodyBytes: number;
  /** Folder of the built web UI (web/dist); the UI answers 503 when it is missing. */
  webDistDir?: string | undefined;
}

/** Wiring only: no I/O, no environment. */
export function createApp(deps: AppDeps): Express {
  return createHttpApp({ logger: deps.logger, metrics: deps.metrics, health: deps.health }, (app) => {
    app.use(helmet({ crossOriginEmbedderPolicy: false }));
    app.use(sessionRoutes(deps.sessions));
    app.use(configRoutes(deps.publicConfig));
    app.use(
      chatProxyRoutes({
        target: deps.chatServiceUrl,
        sessions: deps.sessions,
        signer: deps.signer,
        logger: deps.logger,
        maxBodyBytes: deps.maxBodyBytes,
      }),
    );
    app.use(webRoutes(deps.webDistDir));
  });
}
