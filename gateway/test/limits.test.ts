import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@parley/testkit';
import { createMemoryLimitStore, type LimitStore } from '../src/limits/index.js';
import { ADMIN_KEY, buildGateway, listen, startUpstream, type Upstream } from './harness.js';

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream.close();
});

type Gateway = ReturnType<typeof buildGateway>;
const mint = async (g: Gateway) => (await request(g.app).post('/api/v1/sessions').send({})).body.token as string;
const chat = (g: Gateway, token: string, message = 'hello') => request(g.app).post('/api/v1/chat').set('authorization', `Bearer ${token}`).send({ message });

describe('rate limits', () => {
  it('limits each client address, minting sessions included, with Retry-After and RateLimit headers', async () => {
    const g = buildGateway({ chatServiceUrl: upstream.url, overrides: { rates: { ip: { name: 'ip', limit: 3, windowSeconds: 60 }, session: { name: 'session', limit: 100, windowSeconds: 60 }, apiKey: { name: 'api_key', limit: 100, windowSeconds: 60 } } } });
    const first = await request(g.app).post('/api/v1/sessions').send({});
    expect(first.status).toBe(201);
    expect(first.headers['ratelimit-policy']).toBe('"ip";q=3;w=60');
    expect(first.headers['ratelimit']).toBe('"ip";r=2;t=20');
    await request(g.app).post('/api/v1/sessions').send({}).expect(201);
    await request(g.app).post('/api/v1/sessions').send({}).expect(201);
    const refused = await request(g.app).post('/api/v1/sessions').send({});
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'rate_limited', policy: 'ip', retryable: true });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(19);
    expect(refused.headers['x-ratelimit-remaining-requests']).toBe('0');
    const metrics = (await request(g.app).get('/metrics')).text;
    expect(metrics).toMatch(/gateway_ratelimit_decisions_total\{policy="ip",outcome="rejected"\} 1/);
    const page = await g.audit.query({ type: 'ratelimit.rejected' });
    expect(page.records).toHaveLength(1);
    expect(page.records[0]).toMatchObject({ principal: 'anonymous', reason: 'rate_limit:ip', outcome: 'rejected', client_ip: expect.stringMatching(/\/24$|\/48$/) });
  });

  it('limits each session separately, and reports the most restrictive policy', async () => {
    const g = buildGateway({ chatServiceUrl: upstream.url, overrides: { rates: { ip: { name: 'ip', limit: 100, windowSeconds: 60 }, session: { name: 'session', limit: 2, windowSeconds: 60 }, apiKey: { name: 'api_key', limit: 100, windowSeconds: 60 } } } });
    const a = await mint(g);
    const b = await mint(g);
    await chat(g, a).expect(200);
    const second = await chat(g, a);
    expect(second.headers['ratelimit-policy']).toBe('"ip";q=100;w=60, "session";q=2;w=60');
    expect(second.headers['ratelimit']).toMatch(/^"session";r=0;t=\d+$/);
    const third = await chat(g, a);
    expect(third.status).toBe(429);
    expect(third.body.policy).toBe('session');
    await chat(g, b).expect(200);
  });
});

describe('one chat at a time per session', () => {
  it('refuses a second concurrent chat request with 429 concurrent_request, and frees the slot when the reply ends', async () => {
    const g = buildGateway({ chatServiceUrl: upstream.url });
    const server = await listen(g.app);
    const token = await mint(g);
    upstream.state.holdStreams = true;
    try {
      const streaming = await fetch(`${server.url}/api/v1/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ message: 'first' }),
      });
      const reader = streaming.body!.getReader();
      await reader.read();
      const second = await chat(g, token, 'second');
      expect(second.status).toBe(429);
      expect(second.body.code).toBe('concurrent_request');
      expect(second.headers['retry-after']).toBe('1');
      upstream.releaseAll();
      while (!(await reader.read()).done) {
        // drain
      }
      await waitFor(async () => (await chat(g, token, 'third')).status === 200, { what: 'the slot to be released' });
    } finally {
      upstream.state.holdStreams = false;
      upstream.releaseAll();
      await server.close();
    }
  });
});

describe('a client that leaves during admission', () => {
  it('does not leave its session slot or reservations held', async () => {
    const base = createMemoryLimitStore();
    // Redis answering slowly: the client gives up while the gateway still waits for the slot.
    let release: () => void = () => {};
    let started: () => void = () => {};
    const acquiring = new Promise<void>((r) => (started = r));
    const gate = new Promise<void>((r) => (release = r));
    let acquired: () => void = () => {};
    const done = new Promise<void>((r) => (acquired = r));
    let first = true;
    const limits: LimitStore = {
      ...base,
      admit: async (...args) => {
        if (!first) return base.admit(...args);
        first = false;
        started();
        await gate;
        const admission = await base.admit(...args);
        acquired();
        return admission;
      },
    };
    const g = buildGateway({ chatServiceUrl: upstream.url, limits });
    const server = await listen(g.app);
    try {
      const token = await mint(g);
      const controller = new AbortController();
      const pending = fetch(`${server.url}/api/v1/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'hello' }),
        signal: controller.signal,
      }).catch(() => undefined);
      await acquiring;
      controller.abort();
      await pending;
      // Only once the gateway has seen the client leave does Redis answer.
      await waitFor(() => g.logs.lines.some((l) => l['msg'] === 'request completed' && l['aborted'] === true), { what: 'the gateway to see the client leave' });
      release();
      await done;
      await waitFor(async () => (await chat(g, token, 'after the abort')).status === 200, { what: 'the slot to be free', timeoutMs: 3_000 });
    } finally {
      await server.close();
    }
  });
});

describe('budgets', () => {
  it('settles the token budget with the real usage and refuses once it is spent, until midnight UTC', async () => {
    const g = buildGateway({
      chatServiceUrl: upstream.url,
      overrides: { budgets: { session: { name: 'session_tokens', limit: 400 }, apiKey: { name: 'api_key_tokens', limit: 1000 }, cost: { name: 'cost_micro_usd', limit: 1_000_000 } }, tokenReserveOutput: 100 },
    });
    const token = await mint(g);
    upstream.state.usage = { input_tokens: 100, output_tokens: 150 };
    try {
      const first = await chat(g, token);
      expect(first.status).toBe(200);
      expect(first.headers['x-ratelimit-limit-tokens']).toBe('400');
      // Reserved 166 (estimate + 100 output) before the call; settled at the real 250 after it.
      await waitFor(async () => {
        const r = await chat(g, token);
        return r.status === 429 ? r : undefined;
      }, { what: 'the budget to run out' }).then((refused) => {
        expect(refused.body.code).toBe('token_budget_exceeded');
        const untilMidnight = Math.ceil((Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1) - Date.now()) / 1000);
        expect(Math.abs(Number(refused.headers['retry-after']) - untilMidnight)).toBeLessThanOrEqual(5);
      });
      const rejected = await g.audit.query({ type: 'budget.rejected' });
      expect(rejected.records[0]).toMatchObject({ reason: 'tokens:session_tokens', principal_kind: 'session' });
    } finally {
      upstream.state.usage = { input_tokens: 10, output_tokens: 20 };
    }
  });

  it('stops all LLM traffic with a 503 when the global daily cost budget is spent', async () => {
    const g = buildGateway({
      chatServiceUrl: upstream.url,
      overrides: { budgets: { session: { name: 'session_tokens', limit: 1_000_000 }, apiKey: { name: 'api_key_tokens', limit: 1_000_000 }, cost: { name: 'cost_micro_usd', limit: 10 } } },
    });
    const token = await mint(g);
    const before = upstream.seen.length;
    const res = await chat(g, token);
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('cost_budget_exceeded');
    expect(res.headers['retry-after']).toBeDefined();
    expect(upstream.seen.length).toBe(before);
  });

  it.each(['application/json', 'text/event-stream'])('settles the cost budget with the cost chat-service reports (%s)', async (accept) => {
    // 1,000 micro-dollars; the flat gateway price would take hundreds of these small turns to spend it.
    const g = buildGateway({
      chatServiceUrl: upstream.url,
      overrides: { budgets: { session: { name: 'session_tokens', limit: 1_000_000 }, apiKey: { name: 'api_key_tokens', limit: 1_000_000 }, cost: { name: 'cost_micro_usd', limit: 1_000 } } },
    });
    const token = await mint(g);
    upstream.state.costUsd = 0.0006;
    try {
      const send = () => request(g.app).post('/api/v1/chat').set('authorization', `Bearer ${token}`).set('accept', accept).send({ message: 'hello' });
      // Settled at 600 after the first reply and 1,200 after the second: a later one is refused
      // (settling runs as the reply closes, so one more may slip in before it lands).
      let answered = 0;
      let refused: Awaited<ReturnType<typeof send>> | undefined;
      while (!refused && answered < 10) {
        const r = await send();
        if (r.status === 200) answered++;
        else refused = r;
      }
      expect(refused?.status).toBe(503);
      expect(refused?.body.code).toBe('cost_budget_exceeded');
      expect(answered).toBeGreaterThanOrEqual(2);
      expect(answered).toBeLessThanOrEqual(3);
    } finally {
      delete upstream.state.costUsd;
    }
  });

  it('does not charge a failed upstream call', async () => {
    const g = buildGateway({ chatServiceUrl: upstream.url, overrides: { budgets: { session: { name: 'session_tokens', limit: 300 }, apiKey: { name: 'api_key_tokens', limit: 1000 }, cost: { name: 'cost_micro_usd', limit: 1_000_000 } }, tokenReserveOutput: 100 } });
    const token = await mint(g);
    upstream.state.status = 503;
    try {
      for (let i = 0; i < 5; i++) expect((await chat(g, token)).status).toBe(503);
    } finally {
      upstream.state.status = 200;
    }
    await waitFor(async () => (await chat(g, token)).status === 200, { what: 'budget still available' });
  });
});

describe('kill switch', () => {
  it('stops chat at once with a clear 503, records who switched it, and resumes when switched off', async () => {
    const g = buildGateway({ chatServiceUrl: upstream.url });
    const token = await mint(g);
    const on = await request(g.app).put('/api/v1/admin/kill-switch').set('authorization', `Bearer ${ADMIN_KEY}`).send({ enabled: true, reason: 'provider incident' });
    expect(on.status).toBe(200);
    const refused = await chat(g, token);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'kill_switch', detail: expect.stringContaining('provider incident') });
    expect(refused.headers['retry-after']).toBe('60');
    await request(g.app).put('/api/v1/admin/kill-switch').set('authorization', `Bearer ${ADMIN_KEY}`).send({ enabled: false }).expect(200);
    await chat(g, token).expect(200);
    const changes = await g.audit.query({ type: 'killswitch.changed' });
    expect(changes.records.map((r) => [r.principal, r.reason])).toEqual([
      ['bootstrap-admin', 'enabled'],
      ['bootstrap-admin', 'disabled'],
    ]);
  });
});
