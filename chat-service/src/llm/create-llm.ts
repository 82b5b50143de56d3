import type { Logger, Metrics } from '@parley/platform';
import { type Breakers } from '@parley/platform';
import { createOpenAiLlm } from '../adapters/openai-llm.js';
import { createLlmTelemetry } from './llm-telemetry.js';
import { costUsd, type PriceTable } from './pricing.js';
import { ResilientLlm, type LlmRoute, type RetryPolicy } from './resilient-llm.js';

export interface ProviderSettings {
  provider: string;
  baseURL: string;
  apiKey: string;
}

export interface LlmSettings {
  primary: ProviderSettings;
  /** Models callers may name, all at the primary provider. */
  models: string[];
  fallbacks: (ProviderSettings & { model: string })[];
  policy: RetryPolicy;
  prices: PriceTable;
  defaultPrice: { input_usd_per_mtok: number; output_usd_per_mtok: number };
  captureContent: boolean;
}

/** The resilient LLM client over the openai SDK, one client per provider (no I/O until called). */
export function createResilientLlm(settings: LlmSettings, deps: { registry: Metrics["registry"]; logger: Logger; breakers: Breakers }): ResilientLlm {
  const clients = new Map<string, ReturnType<typeof createOpenAiLlm>>();
  const route = (p: ProviderSettings, model: string): LlmRoute => {
    const key = `${p.provider} ${p.baseURL}`;
    let client = clients.get(key);
    if (!client) {
      // The SDK's own timeout is only a backstop behind the per-attempt AbortSignal.
      client = createOpenAiLlm({ apiKey: p.apiKey, baseURL: p.baseURL, timeoutMs: settings.policy.deadlineMs });
      clients.set(key, client);
    }
    const url = new URL(p.baseURL);
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    return { provider: p.provider, model, client, serverAddress: url.hostname, serverPort: port };
  };
  return new ResilientLlm({
    routes: settings.models.map((m) => route(settings.primary, m)),
    fallbacks: settings.fallbacks.map((f) => route(f, f.model)),
    breakers: deps.breakers,
    telemetry: createLlmTelemetry(deps.registry, { captureContent: settings.captureContent }),
    policy: settings.policy,
    price: (model, usage) => costUsd(settings.prices, settings.defaultPrice, model, usage),
    logger: deps.logger.child({ component: 'llm' }),
  });
}
