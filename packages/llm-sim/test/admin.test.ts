import { describe, expect, it } from 'vitest';
import { fetchStats, openaiFor, postJson, startSim, USER } from './helpers.js';

async function putConfig(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}/_sim/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('admin API /_sim', () => {
  it('shows the settings, merges a PUT, and reset brings back the start settings and zero counters', async () => {
    const sim = await startSim();
    const initial = await (await fetch(`${sim.url}/_sim/config`)).json();
    expect(initial).toEqual({
      ttft_ms: 0,
      tokens_per_second: 0,
      latency_ms: 0,
      reply_tokens: 40,
      fault_rates: {},
      retry_after_ms: 1000,
      stall_after: 3,
      cut_after: 3,
      seed: 1,
      fail_next: null,
    });
    const put = await putConfig(sim.url, { reply_tokens: 5, fault_rates: { '503': 1 } });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ reply_tokens: 5, ttft_ms: 0, fault_rates: { '503': 1 } });

    const completion = await openaiFor(sim).chat.completions.create(
      { model: 'gpt-4o-mini', messages: USER('hi') },
      { headers: { 'x-llm-sim-fault': 'none' } },
    );
    expect(completion.usage?.completion_tokens).toBe(5);
    expect((await fetchStats(sim)).requests_total).toBe(1);

    const reset = await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
    expect(await reset.json()).toEqual(initial);
    expect(await fetchStats(sim)).toMatchObject({ requests_total: 0, outcomes: { completed: 0 } });
  });

  it('rejects an invalid PUT with a 400 naming the problem and changes nothing', async () => {
    const sim = await startSim();
    for (const [body, message] of [
      [{ ttft_ms: -1 }, /ttft_ms/],
      [{ fault_rates: { '429': 70, '500': 40 } }, /more than 100%/],
      [{ fault_rates: { teapot: 5 } }, /fault rate keys/],
      [{ fail_next: { count: 1, fault: 'bogus' } }, /fail_next.fault: unknown fault item/],
      [{ warp_speed: true }, /warp_speed/],
    ] as const) {
      const res = await putConfig(sim.url, body);
      expect(res.status).toBe(400);
      const json = (await res.json()) as { error: { message: string } };
      expect(json.error.message).toMatch(message);
    }
    const config = (await (await fetch(`${sim.url}/_sim/config`)).json()) as { fault_rates: unknown };
    expect(config.fault_rates).toEqual({});
  });

  it('requires the admin key when LLM_SIM_ADMIN_KEY is set', async () => {
    const sim = await startSim({ env: { LLM_SIM_ADMIN_KEY: 'admin-secret' } });
    expect((await fetch(`${sim.url}/_sim/stats`)).status).toBe(401);
    expect((await putConfig(sim.url, { ttft_ms: 5 }, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await putConfig(sim.url, { ttft_ms: 5 }, { authorization: 'Bearer admin-secret' })).status).toBe(200);
    // The API itself stays open (no LLM_SIM_API_KEY).
    expect((await postJson(sim, '/v1/chat/completions', { model: 'm', messages: USER('hi') })).status).toBe(200);
  });

  it('exposes llm_sim_* metrics and the shared HTTP metrics on /metrics, plus /livez and /readyz', async () => {
    const sim = await startSim();
    const client = openaiFor(sim);
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER('hi'), max_tokens: 4 });
    await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: USER('hi') }, { headers: { 'x-llm-sim-fault': '500' } })
      .catch(() => undefined);
    const metrics = await (await fetch(`${sim.url}/metrics`)).text();
    expect(metrics).toMatch(/^llm_sim_requests_total\{outcome="completed"\} 1$/m);
    expect(metrics).toMatch(/^llm_sim_requests_total\{outcome="fault"\} 1$/m);
    expect(metrics).toMatch(/^llm_sim_faults_injected_total\{kind="http_500"\} 1$/m);
    expect(metrics).toMatch(/^llm_sim_tokens_total\{type="completion"\} 4$/m);
    expect(metrics).toMatch(/^llm_sim_in_flight_requests 0$/m);
    expect(metrics).toMatch(/http_server_request_duration_seconds_count\{[^}]*http_route="\/v1\/chat\/completions"/);
    expect((await fetch(`${sim.url}/livez`)).status).toBe(200);
    expect((await fetch(`${sim.url}/readyz`)).status).toBe(200);
  });

  it('logs model, token counts, fault and latency for each completion, and never the message text', async () => {
    const sim = await startSim({ logLevel: 'info' });
    const client = openaiFor(sim);
    const secret = 'my password is hunter2';
    const reply = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER(secret) });
    await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: USER(`${secret} [[sim:fault=429]]`) })
      .catch(() => undefined);
    const lines = sim.logs.filter((l) => l['msg'] === 'chat completion');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      service: 'llm-sim',
      component: 'completions',
      model: 'gpt-4o-mini',
      stream: false,
      outcome: 'completed',
      prompt_tokens: reply.usage?.prompt_tokens,
      completion_tokens: 40,
      finish_reason: 'stop',
      latency_ms: expect.any(Number),
    });
    expect(lines[1]).toMatchObject({ outcome: 'fault', fault: 'http_429', status: 429 });
    const all = JSON.stringify(sim.logs);
    expect(all).not.toContain('hunter2');
    expect(all).not.toContain(reply.choices[0]?.message.content ?? '<none>');
  });
});
