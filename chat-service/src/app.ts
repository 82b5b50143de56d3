import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { createHttpApp, type Health, type IdentityVerifier, type Logger, type Metrics, type Breakers } from '@parley/platform';
import { ChatService, type ChatConfig } from './domain/chat.js';
import type { ConversationStore, LlmClient, SafetyClient } from './domain/ports.js';
import { FeedbackService, createFeedbackMetrics, type FeedbackStore } from './feedback/index.js';
import { adminRoutes } from './routes/admin.routes.js';
import { chatRoutes } from './routes/chat.routes.js';
import { openAiRoutes } from './routes/openai.routes.js';
import { createStreamMetrics } from './routes/stream-metrics.js';
import { feedbackRoutes } from './routes/feedback.routes.js';

export interface AppDeps {
  logger: Logger;
  metrics: Metrics;
  health: Health;
  llm: LlmClient;
  /** Models the OpenAI-compatible API accepts (GET /v1/models); default: the chat model only. */
  llmModels?: () => string[];
  /** Circuit breakers of the upstreams, shown at GET /api/v1/admin/breakers (none when absent). */
  breakers?: Breakers | undefined;
  safety: SafetyClient;
  store: ConversationStore;
  verifier: IdentityVerifier;
  chat: ChatConfig;
  maxMessageChars: number;
  /** Thumbs up/down on replies; without it there is no feedback API and exports hold none. */
  feedback?: { store: FeedbackStore; enabled: boolean; maxCommentChars: number } | undefined;
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
  const feedbackDeps = deps.feedback;
  const feedback =
    feedbackDeps &&
    new FeedbackService({
      store: feedbackDeps.store,
      history: (sessionId) => chat.history(sessionId),
      now: deps.now ?? (() => new Date()),
      onAccepted: createFeedbackMetrics(deps.metrics.registry).accepted,
    });
  const streamMetrics = createStreamMetrics(deps.metrics.registry);
  return createHttpApp({ logger: deps.logger, metrics: deps.metrics, health: deps.health }, (app) => {
    if (feedbackDeps && feedback) app.use(feedbackRoutes({ feedback, verifier: deps.verifier, enabled: feedbackDeps.enabled, maxCommentChars: feedbackDeps.maxCommentChars }));
    app.use(adminRoutes({ verifier: deps.verifier, breakers: () => deps.breakers?.snapshot() ?? [] }));
    app.use(
      openAiRoutes({
        chat,
        verifier: deps.verifier,
        models: deps.llmModels ?? (() => [deps.chat.model]),
        maxMessageChars: deps.maxMessageChars,
        maxMessages: 100,
        maxTokens: 32_768,
        now: deps.now ?? (() => new Date()),
        streamMetrics,
      }),
    );
    app.use(chatRoutes({ chat, verifier: deps.verifier, maxMessageChars: deps.maxMessageChars, feedback, streamMetrics }));
  });
}
