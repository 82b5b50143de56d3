import { Counter, type OpenMetricsContentType, type PrometheusContentType, type Registry } from 'prom-client';
import type { LimitStore } from './types.js';

/** A prom-client registry of either content type (platform's Metrics uses OpenMetrics). */
export type AnyRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

export function getOrCreateMetric<T>(registry: AnyRegistry | undefined, name: string, create: (registers: AnyRegistry[]) => T): T {
  const existing = registry?.getSingleMetric(name) as T | undefined;
  return existing ?? create(registry ? [registry] : []);
}

/**
 * Counts every rate and budget decision by policy and outcome. Policy names are a bounded,
 * config-chosen set (validated to [A-Za-z0-9_.-]{1,64}), never subjects.
 */
export function createInstrumentedLimitStore(store: LimitStore, options: { registry?: AnyRegistry | undefined } = {}): LimitStore {
  const rate = getOrCreateMetric(
    options.registry,
    'gateway_ratelimit_decisions_total',
    (registers) =>
      new Counter<'policy' | 'outcome'>({
        name: 'gateway_ratelimit_decisions_total',
        help: 'Rate limit decisions by policy and outcome (allowed|rejected).',
        labelNames: ['policy', 'outcome'],
        registers,
      }),
  );
  const budget = getOrCreateMetric(
    options.registry,
    'gateway_budget_decisions_total',
    (registers) =>
      new Counter<'policy' | 'outcome'>({
        name: 'gateway_budget_decisions_total',
        help: 'Daily budget reservations by policy and outcome (allowed|rejected).',
        labelNames: ['policy', 'outcome'],
        registers,
      }),
  );
  // Both outcomes of a policy exist from its first decision, so rate() sees the first rejection.
  const seen = new Set<string>();
  const count = (counter: Counter<'policy' | 'outcome'>, policy: string, allowed: boolean): void => {
    const id = `${counter === rate ? 'r' : 'b'}:${policy}`;
    if (!seen.has(id)) {
      seen.add(id);
      counter.inc({ policy, outcome: 'allowed' }, 0);
      counter.inc({ policy, outcome: 'rejected' }, 0);
    }
    counter.inc({ policy, outcome: allowed ? 'allowed' : 'rejected' });
  };

  return {
    async hit(policy, subject) {
      const decision = await store.hit(policy, subject);
      count(rate, policy.name, decision.allowed);
      return decision;
    },
    async hitAll(hits) {
      const decisions = await store.hitAll(hits);
      for (const d of decisions) count(rate, d.policy.name, d.allowed);
      return decisions;
    },
    async admit(request) {
      const admission = await store.admit(request);
      if (admission.admitted) for (const d of admission.decisions) count(budget, d.policy.name, true);
      else if (admission.refusal === 'budget') count(budget, admission.refused.policy.name, false);
      return admission;
    },
    async reserve(policy, subject, amount) {
      const result = await store.reserve(policy, subject, amount);
      count(budget, policy.name, result.decision.allowed);
      return result;
    },
    acquire: (name, subject, ttlMs) => store.acquire(name, subject, ttlMs),
    killSwitch: () => store.killSwitch(),
    setKillSwitch: (state) => store.setKillSwitch(state),
    ping: () => store.ping(),
  };
}
