import { afterEach, describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { createInstrumentedLimitStore } from './instrumented-limit-store.js';
import { createMemoryLimitStore } from './memory-limit-store.js';

describe('instrumented limit store', () => {
  it('counts rate and budget decisions by policy and outcome, never by subject', async () => {
    const registry = new Registry();
    const store = createInstrumentedLimitStore(createMemoryLimitStore(), { registry });
    const session = { name: 'session', limit: 1, windowSeconds: 60 };
    await store.hit(session, 'user-secret-id');
    await store.hit(session, 'user-secret-id');
    await store.hit(session, 'user-secret-id');
    await store.reserve({ name: 'tokens', limit: 5 }, 'user-secret-id', 5);
    const text = await registry.metrics();
    expect(text).toContain('gateway_ratelimit_decisions_total{policy="session",outcome="allowed"} 1');
    expect(text).toContain('gateway_ratelimit_decisions_total{policy="session",outcome="rejected"} 2');
    // Both outcomes exist from a policy's first decision, so a first rejection shows in rate().
    expect(text).toContain('gateway_budget_decisions_total{policy="tokens",outcome="allowed"} 1');
    expect(text).toContain('gateway_budget_decisions_total{policy="tokens",outcome="rejected"} 0');
    expect(text).not.toContain('user-secret-id');
  });

  it('shares the counters when two stores instrument the same registry', async () => {
    const registry = new Registry();
    const a = createInstrumentedLimitStore(createMemoryLimitStore(), { registry });
    const b = createInstrumentedLimitStore(createMemoryLimitStore(), { registry });
    const policy = { name: 'ip', limit: 10, windowSeconds: 60 };
    await a.hit(policy, 's');
    await b.hit(policy, 's');
    expect(await registry.metrics()).toContain('gateway_ratelimit_decisions_total{policy="ip",outcome="allowed"} 2');
  });

  describe('operational gauges', () => {
    afterEach(() => {
      vi.useRealTimers();
    });
    const value = async (registry: Registry, name: string) => (await registry.getSingleMetric(name)?.get())?.values[0]?.value;
    const cost = { name: 'cost_micro_usd', limit: 1_000 };
    const turn = (amount: number) => ({ budgets: [{ policy: { name: 'tokens', limit: 1_000_000 }, subject: 's', amount: 1 }, { policy: cost, subject: 'global', amount }] });

    it('reads the kill switch from the store at every scrape, so a replica that saw no change reports it', async () => {
      const shared = createMemoryLimitStore();
      const [ra, rb] = [new Registry(), new Registry()];
      const a = createInstrumentedLimitStore(shared, { registry: ra });
      createInstrumentedLimitStore(shared, { registry: rb });
      await a.setKillSwitch({ enabled: true });
      expect(await value(ra, 'gateway_kill_switch_engaged')).toBe(1);
      expect(await value(rb, 'gateway_kill_switch_engaged')).toBe(1);
      await a.setKillSwitch({ enabled: false });
      expect(await value(rb, 'gateway_kill_switch_engaged')).toBe(0);
    });

    it('keeps the last kill switch state when the store cannot be read at scrape time', async () => {
      const registry = new Registry();
      const base = createMemoryLimitStore();
      let down = false;
      const store = createInstrumentedLimitStore({ ...base, killSwitch: () => (down ? Promise.reject(new Error('down')) : base.killSwitch()) }, { registry });
      await store.setKillSwitch({ enabled: true });
      down = true;
      expect(await value(registry, 'gateway_kill_switch_engaged')).toBe(1);
      expect(await registry.metrics()).toContain('gateway_kill_switch_engaged 1');
    });

    it('shows the cost budget used from admissions and settlements, and 0 once the UTC day is over', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date('2025-03-01T23:59:00Z'));
      const registry = new Registry();
      const store = createInstrumentedLimitStore(createMemoryLimitStore(), { registry, costBudgetPolicy: 'cost_micro_usd' });
      const ratio = () => value(registry, 'gateway_cost_budget_used_ratio');
      expect(await ratio()).toBe(0);
      const first = await store.admit(turn(100));
      expect(await ratio()).toBe(0.1);
      if (!first.admitted) throw new Error('not admitted');
      await first.finish([1, 250]);
      expect(await ratio()).toBe(0.25);
      await first.finish([1, 900]); // only the first finish counts, in the store and here
      expect(await ratio()).toBe(0.25);
      const second = await store.admit(turn(100));
      if (!second.admitted) throw new Error('not admitted');
      await second.finish(null);
      expect(await ratio()).toBe(0.25);
      const third = await store.admit(turn(100));
      if (!third.admitted) throw new Error('not admitted');
      await third.finish([]); // no usage known: the reservation stands
      expect(await ratio()).toBe(0.35);
      expect((await store.admit(turn(700))).admitted).toBe(false); // refused: still reports what is used
      expect(await ratio()).toBe(0.35);

      vi.setSystemTime(new Date('2025-03-02T00:00:30Z'));
      expect(await ratio()).toBe(0); // no traffic since midnight: the new day's budget is untouched
      const late = await store.admit(turn(100));
      expect(await ratio()).toBe(0.1);
      if (late.admitted) await late.finish([1, 50]);
      expect(await ratio()).toBe(0.05);
    });

    it('leaves both gauges alone for answers the fallback gave', async () => {
      const registry = new Registry();
      const base = createMemoryLimitStore();
      await base.setKillSwitch({ enabled: true });
      const store = createInstrumentedLimitStore(base, { registry, fromFallback: () => true });
      expect((await store.admit(turn(500))).admitted).toBe(false);
      await base.setKillSwitch({ enabled: false });
      const admission = await store.admit(turn(500));
      if (admission.admitted) await admission.finish([1, 500]);
      expect(await value(registry, 'gateway_cost_budget_used_ratio')).toBe(0);
      expect(await value(registry, 'gateway_kill_switch_engaged')).toBe(0);
    });
  });
});
