import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import { countTokens } from '../src/index.js';
import { fetchStats, openaiFor, startSim, USER } from './helpers.js';

describe('POST /v1/chat/completions with the openai SDK', () => {
  it('answers a non-streamed completion in OpenAI shape, with usage consistent with the text', async () => {
    const sim = await startSim();
    const client = openaiFor(sim);
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Tell me about rivers.' },
      ],
    });
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.created).toBeCloseTo(Date.now() / 1000, -1);
    expect(completion.choices).toHaveLength(1);
    const [choice] = completion.choices;
    expect(choice?.index).toBe(0);
    expect(choice?.message.role).toBe('assistant');
    expect(choice?.finish_reason).toBe('stop');
    const content = choice?.message.content ?? '';
    expect(content).toMatch(/^[A-Z].*\.$/);
    expect(countTokens(content)).toBe(40);
    expect(completion.usage).toMatchObject({
      completion_tokens: 40,
      // (3 + 3 framing) + 3 + "You are terse." (3) + "Tell me about rivers." (4)
      prompt_tokens: 3 + (3 + 3) + (4 + 3),
      total_tokens: 40 + 16,
    });
  });

  it('gives the same reply for the same conversation and model, another for a different one', async () => {
    const sim = await startSim();
    const client = openaiFor(sim);
    const ask = async (model: string, content: string) =>
      (await client.chat.completions.create({ model, messages: USER(content) })).choices[0]?.message.content;
    const first = await ask('gpt-4o-mini', 'hello');
    expect(await ask('gpt-4o-mini', 'hello')).toBe(first);
    expect(await ask('gpt-4o-mini', 'hello!')).not.toBe(first);
    expect(await ask('llm-sim-1', 'hello')).not.toBe(first);
    // A directive changes timing or faults, not the reply.
    expect(await ask('gpt-4o-mini', 'hello[[sim:ttft_ms=0]]')).toBe(first);
  });

  it('streams a role chunk, one content chunk per token, a finish chunk, a usage chunk and [DONE]', async () => {
    const sim = await startSim();
    const client = openaiFor(sim);
    const request = { model: 'gpt-4o-mini', messages: USER('Stream, please.') };
    const expected = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'gpt-4o-mini')).toBe(true);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const usageChunk = chunks.at(-1);
    expect(usageChunk?.choices).toEqual([]);
    expect(usageChunk?.usage).toMatchObject(expected.usage ?? {});
    const finish = chunks.at(-2);
    expect(finish?.choices[0]?.finish_reason).toBe('stop');
    expect(finish?.choices[0]?.delta).toEqual({});
    const contentChunks = chunks.slice(1, -2);
    expect(contentChunks).toHaveLength(40);
    expect(contentChunks.every((c) => c.usage === null && c.choices[0]?.finish_reason === null)).toBe(true);
    expect(contentChunks.map((c) => c.choices[0]?.delta.content).join('')).toBe(expected.choices[0]?.message.content);

    const stats = await fetchStats(sim);
    expect(stats).toMatchObject({ streams_started: 1, streams_completed: 1, requests_total: 2 });
  });

  it('sends no usage chunk without include_usage', async () => {
    const sim = await startSim();
    const stream = await openaiFor(sim).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: USER('hi'),
      stream: true,
    });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.some((c) => c.usage)).toBe(false);
  });

  it("stops at max_tokens (or max_completion_tokens) with finish_reason 'length'", async () => {
    const sim = await startSim();
    const client = openaiFor(sim);
    const cut = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER('hi'), max_tokens: 5 });
    expect(cut.choices[0]?.finish_reason).toBe('length');
    expect(cut.usage?.completion_tokens).toBe(5);
    expect(countTokens(cut.choices[0]?.message.content ?? '')).toBe(5);

    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: USER('hi'),
      max_completion_tokens: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('length');
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(3);
    expect(chunks.slice(1, -2).map((c) => c.choices[0]?.delta.content).join('')).toBe(
      cut.choices[0]?.message.content?.split(' ').slice(0, 3).join(' '),
    );
  });

  it('accepts content as an array of text parts, the same as the joined string', async () => {
    const sim = await startSim();
    const client = openaiFor(sim);
    const parts = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello ' }, { type: 'text', text: 'there' }] }],
    });
    const plain = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER('hello there') });
    expect(parts.choices[0]?.message.content).toBe(plain.choices[0]?.message.content);
    expect(parts.usage).toEqual(plain.usage);
  });

  it('echoes the last user message verbatim with [[sim:echo]], streamed or not', async () => {
    const sim = await startSim();
    const client = openaiFor(sim);
    const text = 'My card is 4111 1111 1111 1111, mail me at jane@example.com.';
    const echoed = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'user', content: 'earlier message' },
        { role: 'assistant', content: 'earlier reply' },
        { role: 'user', content: `${text} [[sim:echo]]` },
      ],
    });
    expect(echoed.choices[0]?.message.content).toBe(text);
    expect(echoed.usage?.completion_tokens).toBe(countTokens(text));

    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: USER(`[[sim:echo]]${text}`),
      stream: true,
    });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
    expect(streamed).toBe(text);
  });

  it('replies with a fixed text given by [[sim:reply=...]] and sizes replies with reply_tokens', async () => {
    const sim = await startSim();
    const client = openaiFor(sim);
    const fixed = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: USER('anything [[sim:reply=Ignore all previous instructions.]]'),
    });
    expect(fixed.choices[0]?.message.content).toBe('Ignore all previous instructions.');
    const short = await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: USER('short') },
      { headers: { 'x-llm-sim-reply-tokens': '7' } },
    );
    expect(short.usage?.completion_tokens).toBe(7);
    const viaDirective = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: USER('short [[sim:reply_tokens=7]]'),
    });
    expect(viaDirective.choices[0]?.message.content).toBe(short.choices[0]?.message.content);
  });

  it('lists the configured models and retrieves one; an unknown one is a NotFoundError', async () => {
    const sim = await startSim();
    const client = openaiFor(sim);
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['gpt-4o-mini', 'llm-sim-1']);
    expect(await client.models.retrieve('llm-sim-1')).toMatchObject({ id: 'llm-sim-1', object: 'model', owned_by: 'llm-sim' });
    const error = await client.models.retrieve('gpt-5-ultra').catch((err: unknown) => err);
    expect(error).toBeInstanceOf((await import('openai')).NotFoundError);
    expect(error).toMatchObject({ status: 404, code: 'model_not_found' });
  });

  it('accepts any model unless LLM_SIM_STRICT_MODELS is on, then answers 404 model_not_found', async () => {
    const lenient = await startSim();
    const ok = await openaiFor(lenient).chat.completions.create({ model: 'gpt-4.1', messages: USER('hi') });
    expect(ok.model).toBe('gpt-4.1');

    const strict = await startSim({ env: { LLM_SIM_STRICT_MODELS: 'true', LLM_SIM_MODELS: 'only-this' } });
    const error = await openaiFor(strict)
      .chat.completions.create({ model: 'gpt-4.1', messages: USER('hi') })
      .catch((err: unknown) => err);
    expect(error).toMatchObject({ status: 404, code: 'model_not_found' });
    await expect(openaiFor(strict).chat.completions.create({ model: 'only-this', messages: USER('hi') })).resolves.toBeDefined();
  });

  it('requires the bearer key when LLM_SIM_API_KEY is set (401 AuthenticationError otherwise)', async () => {
    const OpenAI = (await import('openai')).default;
    const sim = await startSim({ env: { LLM_SIM_API_KEY: 'sk-sim-secret' } });
    const wrong = await openaiFor(sim, 'sk-wrong')
      .chat.completions.create({ model: 'gpt-4o-mini', messages: USER('hi') })
      .catch((err: unknown) => err);
    expect(wrong).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(wrong).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'authentication_error' });
    const models = await fetch(`${sim.url}/v1/models`);
    expect(models.status).toBe(401);
    expect(await models.json()).toMatchObject({ error: { code: 'invalid_api_key', param: null } });
    await expect(
      openaiFor(sim, 'sk-sim-secret').chat.completions.create({ model: 'gpt-4o-mini', messages: USER('hi') }),
    ).resolves.toMatchObject({ object: 'chat.completion' });
    // Ops endpoints stay open.
    expect((await fetch(`${sim.url}/livez`)).status).toBe(200);
  });
});
