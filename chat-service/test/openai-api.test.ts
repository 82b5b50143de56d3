import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { Health, IDENTITY_HEADER, createIdentitySigner, createIdentityVerifier, createLogger, createMetrics } from '@parley/platform';
import { captureLogs } from '@parley/testkit';
import { createMemoryConversationStore } from '../src/adapters/memory-conversation-store.js';
import { createApp } from '../src/app.js';
import { NOTICES } from '../src/domain/notices.js';
import { fakeLlm, fakeSafety } from './fakes.js';

const secret = 'chat-service-test-secret-long-enough-123';
const signer = createIdentitySigner({ secret, issuer: 'gateway' });
const apiKey = () => signer.sign({ sub: 'key-1', kind: 'api_key', role: 'user' }, 'chat-service');

function build(reply: string) {
  const logs = captureLogs();
  const llm = fakeLlm(reply);
  const safety = fakeSafety();
  const app = createApp({
    logger: createLogger({ service: 'chat-service', destination: logs.stream }),
    metrics: createMetrics({ defaultMetrics: false }),
    health: new Health(),
    llm: llm.llm,
    llmModels: () => ['m', 'm2'],
    safety: safety.safety,
    store: createMemoryConversationStore({ idleTtlSeconds: 60, maxMessages: 20 }),
    verifier: createIdentityVerifier({ secret, audience: 'chat-service' }),
    chat: { model: 'm', maxTokens: 64, temperature: 0, historyLimit: 20, contextTokens: 100_000, safetyWindowChars: 16, safetyHoldbackChars: 8, safetyFlushMs: 0, systemPrompts: { en: 'en', de: 'de', fr: 'fr' } },
    maxMessageChars: 100,
  });
  return { app, llm, safety, logs };
}

const body = (extra: Record<string, unknown> = {}) => ({ model: 'm2', messages: [{ role: 'system', content: 'be nice' }, { role: 'user', content: 'hello' }], ...extra });

/** The `data:` payloads of an OpenAI-style stream, and its comment lines. */
function parseStream(text: string) {
  const blocks = text.split('\n\n').filter(Boolean);
  return {
    data: blocks.filter((b) => b.startsWith('data: ')).map((b) => b.slice(6)),
    comments: blocks.filter((b) => b.startsWith(': ') && !b.startsWith(': keep-alive')).map((b) => b.slice(2)),
  };
}

describe('POST /v1/chat/completions', () => {
  it('answers in the OpenAI shape with the requested model, the caller\'s messages and a report for the gateway', async () => {
    const { app, llm } = build('Hello back to you.');
    const res = await request(app).post('/v1/chat/completions').set(IDENTITY_HEADER, await apiKey()).send(body({ temperature: 0.3, max_tokens: 20 }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      object: 'chat.completion',
      model: 'm2',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello back to you.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
      parley: { usage: { input_tokens: 11, output_tokens: 7 }, safety: { action: 'allow' } },
    });
    expect(llm.calls[0]?.request).toMatchObject({ model: 'm2', maxTokens: 20, temperature: 0.3, messages: [{ role: 'system', content: 'be nice' }, { role: 'user', content: 'hello' }] });
  });

  it('never lets blocked model output through, not streamed: the notice replaces it', async () => {
    const { app } = build('Fine words first then BLOCK this part and more words after it.');
    const res = await request(app).post('/v1/chat/completions').set(IDENTITY_HEADER, await apiKey()).send(body());
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('BLOCK');
    expect(res.body.choices[0]).toMatchObject({ finish_reason: 'content_filter', message: { content: NOTICES.outputBlocked.en } });
  });

  it('never lets blocked model output through, streamed: released windows, then the notice, content_filter, [DONE]', async () => {
    const { app, llm } = build('Fine words first then BLOCK this part and more words after it.');
    const res = await request(app).post('/v1/chat/completions').set(IDENTITY_HEADER, await apiKey()).send(body({ stream: true }));
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('BLOCK');
    const { data, comments } = parseStream(res.text);
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { choices: { delta: { content?: string }; finish_reason: string | null }[] });
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toContain(NOTICES.outputBlocked.en);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('content_filter');
    expect(JSON.parse(comments.at(-1)?.replace(/^parley /, '') ?? '{}')).toMatchObject({ safety: { action: 'block' } });
    expect(llm.calls[0]?.signal.aborted).toBe(true);
  });

  it('streams usage as a last chunk only when asked', async () => {
    const { app } = build('one two three four five');
    const plain = parseStream((await request(app).post('/v1/chat/completions').set(IDENTITY_HEADER, await apiKey()).send(body({ stream: true }))).text);
    expect(plain.data.some((d) => d.includes('"usage"'))).toBe(false);
    const withUsage = parseStream(
      (await request(app).post('/v1/chat/completions').set(IDENTITY_HEADER, await apiKey()).send(body({ stream: true, stream_options: { include_usage: true } }))).text,
    );
    expect(JSON.parse(withUsage.data.at(-2) ?? '{}')).toMatchObject({ choices: [], usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } });
  });

  it('checks every user message, redacting before the model sees them', async () => {
    const { app, llm, safety } = build('ok');
    const messages = [
      { role: 'user', content: 'mail secret@example.com' },
      { role: 'assistant', content: 'noted' },
      { role: 'user', content: 'thanks' },
    ];
    await request(app).post('/v1/chat/completions').set(IDENTITY_HEADER, await apiKey()).send({ model: 'm', messages }).expect(200);
    expect(safety.seen.filter((s) => s.direction === 'input').map((s) => s.text)).toEqual(['mail secret@example.com', 'thanks']);
    expect(JSON.stringify(llm.calls[0]?.request.messages)).not.toContain('secret@example.com');
  });

  it.each([
    { name: 'unknown model', send: body({ model: 'gpt-9' }), status: 404, code: 'model_not_found' },
    { name: 'temperature 3', send: body({ temperature: 3 }), status: 400, code: 'invalid_request', param: 'temperature' },
    { name: 'no user message', send: { model: 'm', messages: [{ role: 'system', content: 'x' }] }, status: 400, code: 'invalid_request', param: 'messages' },
    { name: 'a message over the limit', send: body({ messages: [{ role: 'user', content: 'x'.repeat(101) }] }), status: 400, code: 'invalid_request', param: 'messages.0.content' },
    { name: 'malformed messages', send: { model: 'm', messages: 'hello' }, status: 400, code: 'invalid_request', param: 'messages' },
    { name: 'tools', send: body({ tools: [] }), status: 400, code: 'invalid_request', param: 'tools' },
  ])('refuses $name with $status in the OpenAI envelope, without calling the model', async ({ send, status, code, param }) => {
    const { app, llm } = build('x');
    const res = await request(app).post('/v1/chat/completions').set(IDENTITY_HEADER, await apiKey()).send(send);
    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject({ code, type: 'invalid_request_error', ...(param ? { param } : {}) });
    expect(llm.calls).toHaveLength(0);
  });
});

describe('GET /v1/models', () => {
  it('lists the allowed models', async () => {
    const { app } = build('x');
    const res = await request(app).get('/v1/models').set(IDENTITY_HEADER, await apiKey());
    expect(res.body).toEqual({ object: 'list', data: [expect.objectContaining({ id: 'm', object: 'model' }), expect.objectContaining({ id: 'm2' })] });
    expect((await request(app).get('/v1/models/m2').set(IDENTITY_HEADER, await apiKey())).status).toBe(200);
    expect((await request(app).get('/v1/models/nope').set(IDENTITY_HEADER, await apiKey())).body.error.code).toBe('model_not_found');
  });
});
