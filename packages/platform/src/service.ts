import type { RequestListener } from 'node:http';
import type { z } from 'zod';
import { loadConfigOrExit, type ServerConfig } from './config.js';
import { Health } from './health.js';
import { runServer, type RunningServer, type ShutdownHook } from './lifecycle.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';

/** What a composition root gets to build its app with. */
export interface ServiceKit {
  logger: Logger;
  metrics: Metrics;
  health: Health;
  /** Runs after the server stopped taking requests (close Redis, ...); telemetry is flushed last. */
  onShutdown(hook: ShutdownHook): void;
  /** Runs when shutdown starts, before draining (e.g. release requests held open on purpose). */
  onDrain(hook: () => void): void;
}

export interface RunServiceOptions<C extends ServerConfig> {
  name: string;
  schema: z.ZodType<C>;
  /** The environment: main.ts passes process.env. */
  env: Record<string, string | undefined>;
  build(config: C, kit: ServiceKit): RequestListener | Promise<RequestListener>;
  /** Flushes telemetry; main.ts passes shutdownTelemetry. */
  flushTelemetry?: ShutdownHook;
}

/**
 * The shared body of every main.ts: validate the environment (exit 1 with a readable
 * message), create the root logger, metrics and health, build the app, listen, and shut
 * down gracefully on SIGTERM/SIGINT.
 */
export async function runService<C extends ServerConfig>(options: RunServiceOptions<C>): Promise<{ config: C; kit: ServiceKit; running: RunningServer }> {
  const config = loadConfigOrExit(options.schema, options.env, options.name);
  const hooks: ShutdownHook[] = [];
  const drainHooks: (() => void)[] = [];
  const kit: ServiceKit = {
    logger: createLogger({ service: options.name, level: config.LOG_LEVEL }),
    metrics: createMetrics(),
    health: new Health(),
    onShutdown: (hook) => void hooks.push(hook),
    onDrain: (hook) => void drainHooks.push(hook),
  };
  const handler = await options.build(config, kit);
  const running = await runServer({
    handler,
    port: config.PORT,
    host: config.HOST,
    logger: kit.logger,
    health: kit.health,
    drainTimeoutMs: config.SHUTDOWN_DRAIN_MS,
    timeouts: { headersMs: config.HTTP_HEADERS_TIMEOUT_MS, requestMs: config.HTTP_REQUEST_TIMEOUT_MS, keepAliveMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS },
    onDrain: drainHooks,
    onShutdown: [...hooks, ...(options.flushTelemetry ? [options.flushTelemetry] : [])],
  });
  return { config, kit, running };
}
