import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { fetchStats, openaiFor, postJson, startSim } from './helpers.js';

describe('POST /v1/moderations', () => {
  it('flags the categories a [[sim:moderation=...]] directive names at 0.9, everything else at 0.01, in OpenAI shape', async () => {
    const sim = await startSim();
    const res = await openaiFor(sim).moderations.create({
      model: 'omni-moderation-latest',
      input: ['fine text', 'bad text [[sim:moderation=violence,self-harm/intent]]'],
    });
    expect(res.id).toMatch(/^modr-/);
    expect(res.model).toBe('omni-moderation-latest');
    expect(res.results).toHaveLength(2);
    const [clean, flagged] = res.results;
    expect(clean?.flagged).toBe(false);
    expect(Object.keys(clean?.category_scores ?? {})).toHaveLength(13);
    expect(Object.values(clean?.category_scores ?? {}).every((score) => score === 0.01)).toBe(true);
    expect(flagged?.flagged).toBe(true);
    expect(flagged?.categories).toMatchObject({ violence: true, 'self-harm/intent': true, 'self-harm': false, hate: false });
    expect(flagged?.category_scores).toMatchObject({ violence: 0.9, 'self-harm/intent': 0.9, harassment: 0.01 });
  });

  it('takes a single string input and defaults the model to omni-moderation-latest', async () => {
    const sim = await startSim();
    const res = await postJson(sim, '/v1/moderations', { input: 'hello [[sim:moderation=hate]]' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { model: string; results: { categories: Record<string, boolean> }[] };
    expect(body.model).toBe('omni-moderation-latest');
    expect(body.results[0]?.categories['hate']).toBe(true);
    expect(await fetchStats(sim)).toMatchObject({ requests_total: 1, outcomes: { completed: 1 } });
  });

  it('answers an unknown category in the directive, or a missing input, with 400', async () => {
    const sim = await startSim();
    const unknown = await postJson(sim, '/v1/moderations', { input: 'x [[sim:moderation=violent]]' });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(/unknown category "violent"/);
    expect((await postJson(sim, '/v1/moderations', { model: 'm' })).status).toBe(400);
  });

  it('injects the same faults as chat completions: the header, a directive and fail_next', async () => {
    const sim = await startSim();
    const client = openaiFor(sim);
    await expect(
      client.moderations.create({ input: 'hi' }, { headers: { 'x-llm-sim-fault': '503;retry_after=2' } }),
    ).rejects.toMatchObject({ status: 503, code: 'service_unavailable' });
    await expect(client.moderations.create({ input: 'hi [[sim:fault=429]]' })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    sim.sim.configure({ fail_next: { count: 1, fault: '500' } });
    await expect(client.moderations.create({ input: 'hi' })).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(client.moderations.create({ input: 'hi' })).resolves.toMatchObject({ results: [{ flagged: false }] });
    expect(await fetchStats(sim)).toMatchObject({
      requests_total: 4,
      faults_injected: { http_503: 1, http_429: 1, http_500: 1 },
      outcomes: { fault: 3, completed: 1 },
    });
  });

  it('hangs on a timeout fault until the client gives up', async () => {
    const sim = await startSim();
    const error = await openaiFor(sim)
      .moderations.create({ input: 'hi' }, { headers: { 'x-llm-sim-fault': 'timeout' }, signal: AbortSignal.timeout(100) })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.APIUserAbortError);
  });

  it('lets chat completions ignore a moderation directive', async () => {
    const sim = await startSim();
    await expect(
      openaiFor(sim).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello [[sim:moderation=violence]]' }],
      }),
    ).resolves.toMatchObject({ object: 'chat.completion' });
  });
});
