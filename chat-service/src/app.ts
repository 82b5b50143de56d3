import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { createHttpApp, type Health, type IdentityVerifier, type Logger, type Metrics } from '@parley/platform';
import { ChatService, type ChatConfig } from './domain/chat.js';
import type { ConversationStore, LlmClient, SafetyClient } from './domain/ports.js';
import { chatRoutes } from './routes/chat.routes.js';

export interface AppDeps {
  logger: Logger;
  metrics: Metrics;
  health: Health;
  llm: LlmClient;
  safety: SafetyClient;
  store: ConversationStore;
  verifier: IdentityVerifier;
  chat: ChatConfig;
  maxMessageChars: number;
  newId?: () => string;
  now?: () => Date;
}

/** Wiring only: no I/O, no environment. */
export function createApp(deps: AppDeps): Express {
  const chat = new ChatService({
    llm: deps.llm,
    safety: deps.safety,
    store: deps.store,
    config: deps.chat,
    newId: deps.newId ?? (() => `msg_${randomUUID()}`),
    now: deps.now ?? (() => new Date()),
  });
  return createHttpApp({ logger: deps.logger, metrics: deps.metrics, health: deps.health }, (app) => {
    app.use(chatRoutes({ chat, verifier: deps.verifier, maxMessageChars: deps.maxMessageChars }));
  });
}
