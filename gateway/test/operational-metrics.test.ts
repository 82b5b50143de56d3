import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createMetrics } from '@parley/platform';
import { captureLogs, startRedisServer, waitFor, type RedisServer } from '@parley/testkit';
import { createMemoryLimitStore, createRedisLimitStore, createResilientLimitStore } from '../src/limits/index.js';
import { ADMIN_KEY, buildGateway, listen, startUpstream, type Upstream } from './harness.js';

// The metrics the operational alerts (deploy/prometheus) are written against: names and labels are a contract.

let upstream: Upstream;
let redis: RedisServer;
beforeAll(async () => {
  [upstream, redis] = await Promise.all([startUpstream(), startRedisServer()]);
});
afterAll(async () => {
  await Promise.all([upstream.close(), redis.stop()]);
});

type Gateway = ReturnType<typeof buildGateway>;
const scrape = async (g: Gateway) => (await request(g.app).get('/metrics')).text;

/** The value of one sample as an operator sees it on /metrics (labels in exposition order). */
async function sample(g: Gateway, name: string, labels = ''): Promise<number | undefined> {
  const escaped = `${name}${labels}`.replace(/[{}]/g, '\\$&');
  const match = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(await scrape(g));
  return match ? Number(match[1]) : undefined;
}

const mint = async (g: Gateway) => (await request(g.app).post('/api/v1/sessions').send({})).body.token as string;
const chat = (g: Gateway, token: string) => request(g.app).post('/api/v1/chat').set('authorization', `Bearer ${token}`).send({ message: 'hello' });
const killSwitch = (g: Gateway, enabled: boolean) =>
  request(g.app).put('/api/v1/admin/kill-switch').set('authorization', `Bearer ${ADMIN_KEY}`).send({ enabled, reason: 'test' }).expect(200);

/** A gateway replica as main.ts wires it with Redis: its own registry, the shared limits in Redis. */
function replica(keyPrefix: string, overrides: Partial<Gateway['deps']> = {}): Gateway {
  const metrics = createMetrics({ defaultMetrics: false });
  const limits = createResilientLimitStore(createRedisLimitStore(redis.client(), { keyPrefix }), {
    onRedisFailure: 'open',
    fallback: createMemoryLimitStore(),
    logger: createLogger({ service: 'gateway', destination: captureLogs().stream }),
    registry: metrics.registry,
  });
  return buildGateway({ chatServiceUrl: upstream.url, limits, overrides: { ...overrides, metrics } });
}

describe('gateway_kill_switch_engaged', () => {
  it('is 1 on every replica while the switch is on, and 0 on every replica once it is off', async () => {
    const keyPrefix = `test:${randomUUID()}:`;
    const [a, b] = [replica(keyPrefix), replica(keyPrefix)];
    const token = await mint(b);
    expect(await sample(a, 'gateway_kill_switch_engaged')).toBe(0);
    expect(await sample(b, 'gateway_kill_switch_engaged')).toBe(0);

    await killSwitch(a, true);
    expect(await sample(a, 'gateway_kill_switch_engaged')).toBe(1);
    // b never saw the admin call: it learns the state from Redis (at its admissions and scrapes).
    expect((await chat(b, token)).body.code).toBe('kill_switch');
    expect(await sample(b, 'gateway_kill_switch_engaged')).toBe(1);

    await killSwitch(a, false);
    expect(await sample(b, 'gateway_kill_switch_engaged')).toBe(0);
    expect(await sample(a, 'gateway_kill_switch_engaged')).toBe(0);
    await chat(b, token).expect(200);
    expect(await sample(b, 'gateway_kill_switch_engaged')).toBe(0);
  });

  it('follows the admin API on the in-memory store too (single-machine setup)', async () => {
    const g = buildGateway({ chatServiceUrl: upstream.url });
    await killSwitch(g, true);
    expect(await sample(g, 'gateway_kill_switch_engaged')).toBe(1);
    await request(g.app).get('/api/v1/admin/kill-switch').set('authorization', `Bearer ${ADMIN_KEY}`).expect(200);
    expect(await sample(g, 'gateway_kill_switch_engaged')).toBe(1);
    await killSwitch(g, false);
    expect(await sample(g, 'gateway_kill_switch_engaged')).toBe(0);
  });
});

describe('gateway_cost_budget_used_ratio', () => {
  const LIMIT = 1_000_000; // micro-dollars: $1 a day
  const budgets = { session: { name: 'session_tokens', limit: 1_000_000 }, apiKey: { name: 'api_key_tokens', limit: 1_000_000 }, cost: { name: 'cost_micro_usd', limit: LIMIT } };
  // What admission reserves for 'hello' (harness prices): ceil((ceil(5/4)+64) * 0.15) + ceil(100 * 0.6) micro-dollars.
  const RESERVED = Math.ceil(66 * 0.15) + 60;

  it('moves by each settled turn’s cost, counts a reply in flight at its reservation, and exceeds 1 on an overrun', async () => {
    const g = buildGateway({ chatServiceUrl: upstream.url, overrides: { budgets } });
    const token = await mint(g);
    const ratio = () => sample(g, 'gateway_cost_budget_used_ratio');
    expect(await ratio()).toBe(0);
    try {
      upstream.state.costUsd = 0.25;
      await chat(g, token).expect(200);
      await waitFor(async () => (await ratio()) === 0.25, { what: 'the first turn settled at $0.25' });

      upstream.state.costUsd = 0.5;
      await chat(g, token).expect(200);
      await waitFor(async () => (await ratio()) === 0.75, { what: 'the second turn settled at $0.50' });

      // A streamed reply still open holds its reservation.
      upstream.state.holdStreams = true;
      const server = await listen(g.app);
      try {
        const open = await fetch(`${server.url}/api/v1/chat`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
          body: JSON.stringify({ message: 'hello' }),
        });
        expect(open.status).toBe(200);
        expect(await ratio()).toBeCloseTo(0.75 + RESERVED / LIMIT, 9);
        upstream.state.costUsd = 0.4;
        upstream.releaseAll();
        await open.text();
        await waitFor(async () => (await ratio()) === 1.15, { what: 'the streamed turn settled at $0.40, over the budget' });
      } finally {
        upstream.state.holdStreams = false;
        await server.close();
      }

      // Refused turns keep reporting the overrun the store holds.
      expect((await chat(g, token)).body.code).toBe('cost_budget_exceeded');
      expect(await ratio()).toBe(1.15);
    } finally {
      delete upstream.state.costUsd;
    }
  });

  it('learns what other replicas spent at its next admission', async () => {
    const keyPrefix = `test:${randomUUID()}:`;
    const [ga, gb] = [replica(keyPrefix, { budgets }), replica(keyPrefix, { budgets })];
    try {
      upstream.state.costUsd = 0.3;
      await chat(ga, await mint(ga)).expect(200);
      await waitFor(async () => (await sample(ga, 'gateway_cost_budget_used_ratio')) === 0.3, { what: 'a settled its turn' });
      expect(await sample(gb, 'gateway_cost_budget_used_ratio')).toBe(0);
      upstream.state.costUsd = 0.1;
      await chat(gb, await mint(gb)).expect(200);
      await waitFor(async () => (await sample(gb, 'gateway_cost_budget_used_ratio')) === 0.4, { what: 'b saw a’s spending and added its own' });
    } finally {
      delete upstream.state.costUsd;
    }
  });
});

describe('gateway_auth_decisions_total', () => {
  const decisions = (g: Gateway, method: string, outcome: string) => sample(g, 'gateway_auth_decisions_total', `{method="${method}",outcome="${outcome}"}`);

  it('counts each authentication by credential type and outcome, next to the failure reasons', async () => {
    const g = buildGateway({ chatServiceUrl: upstream.url });
    for (const method of ['session', 'api_key', 'oidc', 'none']) {
      expect(await decisions(g, method, 'success')).toBe(0);
      expect(await decisions(g, method, 'failure')).toBe(0);
    }
    const token = await mint(g);
    await request(g.app).get('/api/v1/history').set('authorization', `Bearer ${token}`).expect(200);
    expect(await decisions(g, 'session', 'success')).toBe(1);

    await request(g.app).get('/api/v1/history').set('authorization', `Bearer ${token}x`).expect(401);
    expect(await decisions(g, 'session', 'failure')).toBe(1);

    await request(g.app).get('/v1/models').set('authorization', `Bearer pk_abcdefghijkl_${'a'.repeat(43)}`).expect(401);
    expect(await decisions(g, 'api_key', 'failure')).toBe(1);
    expect(await sample(g, 'gateway_auth_failures_total', '{reason="unknown"}')).toBe(1);

    await request(g.app).get('/api/v1/history').expect(401);
    expect(await decisions(g, 'none', 'failure')).toBe(1);
    expect(await sample(g, 'gateway_auth_failures_total', '{reason="missing"}')).toBe(1);

    // No IdP configured: a JWT is still an OIDC attempt, refused.
    await request(g.app).get('/api/v1/history').set('authorization', 'Bearer aaa.bbb.ccc').expect(401);
    expect(await decisions(g, 'oidc', 'failure')).toBe(1);

    // The bootstrap admin key counts as an API key.
    await request(g.app).get('/api/v1/admin/kill-switch').set('authorization', `Bearer ${ADMIN_KEY}`).expect(200);
    expect(await decisions(g, 'api_key', 'success')).toBe(1);
    expect(await decisions(g, 'session', 'success')).toBe(1);

    const text = await scrape(g);
    expect(text).not.toContain(token);
  });
});
