import { ConfigError, createLogger, createMetrics, Health, loadConfig, runServer } from '@parley/platform';
import { shutdownTelemetry } from '@parley/platform/instrumentation';
import { createApp } from './app.js';
import { configSchema, settingsFromConfig, type SimConfig } from './config.js';

function readConfig(): SimConfig {
  try {
    return loadConfig(configSchema, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`llm-sim: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

const config = readConfig();
const logger = createLogger({ service: 'llm-sim', level: config.LOG_LEVEL });
const metrics = createMetrics();
const health = new Health();
// Aborted first on SIGTERM/SIGINT: requests hung on purpose (timeout, stall) would never drain.
const stopping = new AbortController();
const app = createApp({ config, logger, metrics, health, stopping: stopping.signal });

const running = await runServer({
  handler: app,
  port: config.PORT,
  host: config.HOST,
  logger,
  health,
  drainTimeoutMs: config.SHUTDOWN_DRAIN_MS,
  onShutdown: [shutdownTelemetry],
  signals: [],
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    stopping.abort();
    running.shutdown(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.fatal({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}

const settings = settingsFromConfig(config);
logger.info(
  {
    url: running.url,
    models: config.LLM_SIM_MODELS,
    strict_models: config.LLM_SIM_STRICT_MODELS,
    api_key_required: config.LLM_SIM_API_KEY !== undefined,
    admin_key_required: config.LLM_SIM_ADMIN_KEY !== undefined,
    settings,
  },
  'llm-sim ready: an OpenAI-compatible simulator, not a real model',
);
