import { createLogger, createMetrics, Health, loadConfig } from '@parley/platform';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { configSchema, createApp, createSimulator, settingsFromConfig } from '../src/index.js';

/** The app as a value (no listen): supertest drives it. */
function build(env: Record<string, string> = {}) {
  const config = loadConfig(configSchema, { LLM_SIM_TTFT_MS: '0', LLM_SIM_TOKENS_PER_SECOND: '0', LLM_SIM_LATENCY_MS: '0', ...env });
  const metrics = createMetrics({ defaultMetrics: false });
  const logger = createLogger({ service: 'llm-sim', level: 'silent' });
  const simulator = createSimulator({ initial: settingsFromConfig(config), metrics, logger });
  const app = createApp({ config, logger, metrics, health: new Health(), simulator });
  return { app, simulator };
}

const valid = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };

/** `param` names the offending field when there is one (as OpenAI does), else null. */
function expectOpenAiError(body: unknown, code: string, param: unknown = null) {
  expect(body).toMatchObject({ error: { message: expect.any(String), type: expect.any(String), code, param } });
}

describe('bad input gets a 4xx in the OpenAI envelope, never a 5xx or a hang', () => {
  it('malformed JSON: 400 invalid_json', async () => {
    const { app } = build();
    const res = await request(app).post('/v1/chat/completions').set('content-type', 'application/json').send('{"model": ');
    expect(res.status).toBe(400);
    expectOpenAiError(res.body, 'invalid_json');
    expect(res.body.error.type).toBe('invalid_request_error');
  });

  it('a JSON scalar instead of an object: 400', async () => {
    const { app } = build();
    const res = await request(app).post('/v1/chat/completions').set('content-type', 'application/json').send('"hi"');
    expect(res.status).toBe(400);
  });

  it('wrong content type: 415', async () => {
    const { app } = build();
    const res = await request(app).post('/v1/chat/completions').set('content-type', 'text/plain').send(JSON.stringify(valid));
    expect(res.status).toBe(415);
    expectOpenAiError(res.body, 'unsupported_media_type');
  });

  it('no body at all: 400', async () => {
    const { app } = build();
    const res = await request(app).post('/v1/chat/completions');
    expect(res.status).toBe(400);
    expectOpenAiError(res.body, 'invalid_request');
  });

  it('a body over 1 MB: 413', async () => {
    const { app } = build();
    const huge = { ...valid, messages: [{ role: 'user', content: 'x'.repeat(1_100_000) }] };
    const res = await request(app).post('/v1/chat/completions').send(huge);
    expect(res.status).toBe(413);
    expectOpenAiError(res.body, 'payload_too_large');
  });

  it('a body just under 1 MB is answered', async () => {
    const { app } = build();
    const big = { ...valid, messages: [{ role: 'user', content: 'word '.repeat(200_000).trim() }] };
    const res = await request(app).post('/v1/chat/completions').send(big);
    expect(res.status).toBe(200);
    expect(res.body.usage.prompt_tokens).toBe(200_000 + 3 + 3);
  });

  it.each([
    ['missing model', { messages: valid.messages }, /model/],
    ['missing messages', { model: 'gpt-4o-mini' }, /messages/],
    ['empty messages', { ...valid, messages: [] }, /at least one message/],
    ['unknown role', { ...valid, messages: [{ role: 'wizard', content: 'hi' }] }, /messages\.0\.role/],
    ['user message without content', { ...valid, messages: [{ role: 'user' }] }, /content is required/],
    ['image part', { ...valid, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, /messages\.0\.content/],
    ['n=2', { ...valid, n: 2 }, /n=1 only/],
    ['max_tokens 0', { ...valid, max_tokens: 0 }, /max_tokens/],
    ['temperature 3', { ...valid, temperature: 3 }, /temperature/],
    ['stream as a string', { ...valid, stream: 'yes' }, /stream/],
    ['stream_options without stream', { ...valid, stream_options: { include_usage: true } }, /only allowed when stream is true/],
  ])('%s: 400 naming the field', async (_name, body, message) => {
    const { app } = build();
    const res = await request(app).post('/v1/chat/completions').send(body);
    expect(res.status).toBe(400);
    expectOpenAiError(res.body, 'invalid_request', expect.any(String));
    expect(res.body.error.message).toMatch(message);
    expect(res.body.error.message).toContain(res.body.error.param);
  });

  it('ignores OpenAI parameters it does not simulate (tools, top_p, seed...)', async () => {
    const { app } = build();
    const res = await request(app)
      .post('/v1/chat/completions')
      .send({ ...valid, top_p: 0.5, seed: 3, tools: [], response_format: { type: 'text' }, user: 'u-1', temperature: null });
    expect(res.status).toBe(200);
  });

  it('a bad x-llm-sim-fault header or directive: 400 saying what is wrong', async () => {
    const { app } = build();
    const header = await request(app).post('/v1/chat/completions').set('x-llm-sim-fault', 'status=200').send(valid);
    expect(header.status).toBe(400);
    expect(header.body.error.message).toMatch(/x-llm-sim-fault header: status must be between 400 and 599/);
    const directive = await request(app)
      .post('/v1/chat/completions')
      .send({ ...valid, messages: [{ role: 'user', content: 'hi [[sim:frobnicate]]' }] });
    expect(directive.status).toBe(400);
    expect(directive.body.error.message).toMatch(/Unknown llm-sim directive/);
  });

  it('wrong method: 405 with Allow; unknown path: 404, both in the envelope', async () => {
    const { app } = build();
    const wrongMethod = await request(app).get('/v1/chat/completions');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers['allow']).toBe('POST');
    expectOpenAiError(wrongMethod.body, 'method_not_allowed');
    const unknown = await request(app).get('/v2/nothing');
    expect(unknown.status).toBe(404);
    expectOpenAiError(unknown.body, 'not_found');
  });

  it('counts rejected requests as outcome "rejected"', async () => {
    const { app, simulator } = build({ LLM_SIM_API_KEY: 'k' });
    await request(app).post('/v1/chat/completions').send(valid);
    await request(app).post('/v1/chat/completions').set('authorization', 'Bearer k').send({});
    await request(app).post('/v1/chat/completions').set('authorization', 'Bearer k').send(valid);
    expect(simulator.stats()).toMatchObject({ requests_total: 3, outcomes: { rejected: 2, completed: 1 }, in_flight: 0 });
  });
});
