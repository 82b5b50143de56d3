import { runService } from '@parley/platform';
import { shutdownTelemetry } from '@parley/platform/instrumentation';
import { createApp } from './app.js';
import { configSchema, settingsFromConfig } from './config.js';

await runService({
  name: 'llm-sim',
  schema: configSchema,
  env: process.env,
  flushTelemetry: shutdownTelemetry,
  build(config, { logger, metrics, health, onDrain }) {
    // Requests hung on purpose (timeout, stall) would never drain: release them first.
    const stopping = new AbortController();
    onDrain(() => stopping.abort());
    logger.info(
      {
        models: config.LLM_SIM_MODELS,
        strict_models: config.LLM_SIM_STRICT_MODELS,
        api_key_required: config.LLM_SIM_API_KEY !== undefined,
        admin_key_required: config.LLM_SIM_ADMIN_KEY !== undefined,
        settings: settingsFromConfig(config),
      },
      'llm-sim: an OpenAI-compatible simulator, not a real model',
    );
    return createApp({ config, logger, metrics, health, stopping: stopping.signal });
  },
});
