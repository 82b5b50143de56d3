import { describe, expect, it } from 'vitest';
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
});
