import { createHttpApp, methodNotAllowed, type Health, type Logger, type Metrics } from '@parley/platform';
import type { Express } from 'express';
import { systemClock, type Clock } from './clock.js';
import { settingsFromConfig, type SimConfig } from './config.js';
import { requireBearer } from './routes/auth.js';
import { adminRoutes } from './routes/admin.routes.js';
import { completionsHandler, trackCompletions, type CompletionsDeps } from './routes/completions.routes.js';
import { moderationsHandler } from './routes/moderations.routes.js';
import { modelsRoutes } from './routes/models.routes.js';
import { createSimulator, type Simulator } from './simulator.js';

export interface AppDeps {
  config: SimConfig;
  logger: Logger;
  metrics: Metrics;
  health: Health;
  /** Time source; the system clock by default. */
  clock?: Clock;
  /** Randomness for rate-drawn faults; a PRNG seeded with LLM_SIM_SEED by default. */
  random?: () => number;
  /** State shared with a test or startLlmSim; built from config when absent. */
  simulator?: Simulator;
  /** Aborted when the process starts shutting down: hung requests (timeout, stall) are closed then. */
  stopping?: AbortSignal;
}

/** The OpenAI-compatible simulator as an Express app; no I/O here (main.ts listens). */
export function createApp(deps: AppDeps): Express {
  const { config, logger, metrics, health } = deps;
  const clock = deps.clock ?? systemClock;
  const simulator =
    deps.simulator ??
    createSimulator({
      initial: settingsFromConfig(config),
      metrics,
      logger,
      now: () => clock.now(),
      ...(deps.random ? { random: deps.random } : {}),
    });
  const completions: CompletionsDeps = {
    simulator,
    logger,
    clock,
    models: config.LLM_SIM_MODELS,
    strictModels: config.LLM_SIM_STRICT_MODELS,
    stopping: deps.stopping,
  };
  // An external API stand-in: every error, including /_sim and unknown paths, uses OpenAI's envelope.
  return createHttpApp({ logger, metrics, health, errorFormat: () => 'openai' }, (app) => {
    // Counted before auth and parsing, so rejected requests show up in stats and metrics too.
    app.post('/v1/chat/completions', trackCompletions(completions));
    app.post('/v1/moderations', trackCompletions(completions, 'moderation'));
    app.use('/v1', requireBearer(config.LLM_SIM_API_KEY));
    app.post('/v1/chat/completions', ...completionsHandler(completions));
    app.all('/v1/chat/completions', methodNotAllowed(['POST']));
    app.post('/v1/moderations', ...moderationsHandler(completions));
    app.all('/v1/moderations', methodNotAllowed(['POST']));
    app.use(modelsRoutes(config.LLM_SIM_MODELS));
    app.use('/_sim', requireBearer(config.LLM_SIM_ADMIN_KEY), adminRoutes(simulator));
  });
}
