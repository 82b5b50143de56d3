import { Counter, Gauge, type OpenMetricsContentType, type PrometheusContentType, type Registry } from 'prom-client';
import { firstCallOnly } from './once.js';
import type { BudgetDecision, KillSwitchState, LimitStore } from './types.js';

/** A prom-client registry of either content type (platform's Metrics uses OpenMetrics). */
export type AnyRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

export function getOrCreateMetric<T>(registry: AnyRegistry | undefined, name: string, create: (registers: AnyRegistry[]) => T): T {
  const existing = registry?.getSingleMetric(name) as T | undefined;
  return existing ?? create(registry ? [registry] : []);
}

/** The global daily cost budget's policy name (micro-dollars), as main.ts configures it. */
export const COST_BUDGET_POLICY = 'cost_micro_usd';

export interface InstrumentedLimitStoreOptions {
  registry?: AnyRegistry | undefined;
  /** The budget whose use gateway_cost_budget_used_ratio shows; COST_BUDGET_POLICY by default. */
  costBudgetPolicy?: string | undefined;
  /**
   * Whether an answer came from a per-process fallback rather than the shared store
   * (createResilientLimitStore while Redis is down): such answers leave the kill switch and
   * cost gauges at the last shared state.
   */
  fromFallback?: ((answer: object) => boolean) | undefined;
}

/** Two reset times this close apart are the same UTC midnight (they differ by rounding and latency). */
const SAME_DAY_MS = 60_000;

/**
 * Counts every rate and budget decision by policy and outcome. Policy names are a bounded,
 * config-chosen set (validated to [A-Za-z0-9_.-]{1,64}), never subjects. Also shows the
 * state behind the operational alerts, as this replica last learned it from the shared store:
 * the kill switch (re-read at every scrape too) and the global cost budget's use.
 */
export function createInstrumentedLimitStore(store: LimitStore, options: InstrumentedLimitStoreOptions = {}): LimitStore {
  const fromFallback = options.fromFallback ?? (() => false);
  const costPolicy = options.costBudgetPolicy ?? COST_BUDGET_POLICY;

  const killSwitchGauge = getOrCreateMetric(
    options.registry,
    'gateway_kill_switch_engaged',
    (registers) =>
      new Gauge({
        name: 'gateway_kill_switch_engaged',
        help: '1 while the operator kill switch is on (chat is refused with 503), else 0. Read from the shared store at every scrape, chat admission and admin read or change, so every replica reports it; keeps the last state read while the store is unreachable.',
        registers,
        async collect() {
          try {
            noteKillSwitch(await store.killSwitch());
          } catch {
            // The store counts and logs its own failures; the gauge keeps the last state read.
          }
        },
      }),
  );
  const noteKillSwitch = (state: KillSwitchState): void => {
    if (!fromFallback(state)) killSwitchGauge.set(state.enabled ? 1 : 0);
  };

  /** The cost budget as last learned: units counted (settled + reserved), its limit, when it resets (ms). */
  let cost: { used: number; limit: number; resetsAt: number } | undefined;
  const noteCost = (decision: BudgetDecision): number | undefined => {
    if (decision.policy.name !== costPolicy) return undefined;
    cost = { used: decision.used, limit: decision.policy.limit, resetsAt: Date.now() + decision.resetSeconds * 1000 };
    return cost.resetsAt;
  };
  /** This replica's own settlement moves the budget it learned, if still the same day. */
  const costSettled = (resetsAt: number, delta: number): void => {
    if (cost && Math.abs(cost.resetsAt - resetsAt) < SAME_DAY_MS) cost.used = Math.max(0, cost.used + delta);
  };
  getOrCreateMetric(
    options.registry,
    'gateway_cost_budget_used_ratio',
    (registers) =>
      new Gauge({
        name: 'gateway_cost_budget_used_ratio',
        help: "Global daily cost budget used (settled cost plus reservations of replies in flight) / its daily limit; above 1 when replies cost more than reserved. Learned from the shared store at this replica's chat admissions and settlements: stale without traffic (0 after the UTC midnight reset and before the first admission since start) and behind other replicas' spending until the next admission here, so alert on max() over replicas.",
        registers,
        collect() {
          this.set(cost && Date.now() < cost.resetsAt && cost.limit > 0 ? cost.used / cost.limit : 0);
        },
      }),
  );

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
      const shared = !fromFallback(admission);
      if (!admission.admitted) {
        if (admission.refusal === 'budget') {
          count(budget, admission.refused.policy.name, false);
          if (shared) noteCost(admission.refused);
        }
        // The switch is checked first: any other answer means it was off.
        if (shared) killSwitchGauge.set(admission.refusal === 'kill_switch' && admission.killSwitch.enabled ? 1 : 0);
        return admission;
      }
      for (const d of admission.decisions) count(budget, d.policy.name, true);
      if (!shared) return admission;
      killSwitchGauge.set(0);
      const i = admission.decisions.findIndex((d) => d.policy.name === costPolicy);
      const decision = admission.decisions[i];
      const reserved = request.budgets[i]?.amount;
      const resetsAt = decision && noteCost(decision);
      if (resetsAt === undefined || reserved === undefined) return admission;
      return {
        ...admission,
        finish: firstCallOnly(async (actuals: number[] | null) => {
          await admission.finish(actuals);
          // As the store settles: null releases, a missing actual keeps the reservation.
          costSettled(resetsAt, actuals === null ? -reserved : (actuals[i] ?? reserved) - reserved);
        }),
      };
    },
    async reserve(policy, subject, amount) {
      const result = await store.reserve(policy, subject, amount);
      count(budget, policy.name, result.decision.allowed);
      if (!fromFallback(result)) noteCost(result.decision);
      return result;
    },
    acquire: (name, subject, ttlMs) => store.acquire(name, subject, ttlMs),
    async killSwitch() {
      const state = await store.killSwitch();
      noteKillSwitch(state);
      return state;
    },
    async setKillSwitch(state) {
      await store.setKillSwitch(state);
      killSwitchGauge.set(state.enabled ? 1 : 0);
    },
    ping: () => store.ping(),
  };
}
