import { describe, expect, it } from 'vitest';
import { LlmUnavailableError, SafetyUnavailableError } from '@parley/platform';
import { fakeLlm, fakeSafety } from '../../test/fakes.js';
import { createMemoryConversationStore } from '../adapters/memory-conversation-store.js';
import { ChatService, type ChatConfig, type ChatEvent } from './chat.js';
import type { LlmClient } from './ports.js';
import { NOTICES } from './notices.js';

function service(reply: string, windowChars = 16, overrides: { llm?: LlmClient; config?: Partial<ChatConfig> } = {}) {
  const fake = fakeLlm(reply);
  const { calls } = fake;
  const llm = overrides.llm ?? fake.llm;
  const { safety, seen, state } = fakeSafety();
  const store = createMemoryConversationStore({ idleTtlSeconds: 60, maxMessages: 10 });
  let n = 0;
  const chat = new ChatService({
    llm,
    safety,
    store,
    newId: () => `id-${++n}`,
    now: () => new Date('2026-01-01T00:00:00Z'),
    config: {
      model: 'm',
      maxTokens: 50,
      temperature: 0,
      historyLimit: 10,
      contextTokens: 100_000,
      safetyWindowChars: windowChars,
      safetyHoldbackChars: 8,
      safetyFlushMs: 0,
      systemPrompts: { en: 'sys-en', de: 'sys-de', fr: 'sys-fr' },
      ...overrides.config,
    },
  });
  return { chat, calls, seen, state, store };
}

async function collect(events: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

const turn = { sessionId: 's1', message: 'hello there', language: 'en' as const };
const signal = new AbortController().signal;

describe('ChatService.reply', () => {
  it('sends system prompt of the language, history and message, and stores the answered turn', async () => {
    const { chat, calls } = service('Hi! How can I help?');
    const first = await chat.reply(turn, signal);
    expect(first).toMatchObject({ reply: 'Hi! How can I help?', finish_reason: 'stop', usage: { input_tokens: 11, output_tokens: 7 }, safety: { action: 'allow' } });
    await chat.reply({ ...turn, message: 'again', language: 'de' }, signal);
    expect(calls[1]?.request.messages).toEqual([
      { role: 'system', content: 'sys-de' },
      { role: 'user', content: 'hello there' },
      { role: 'assistant', content: 'Hi! How can I help?' },
      { role: 'user', content: 'again' },
    ]);
    expect((await chat.history('s1')).map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
  });

  it('answers a message blocked as self-harm with where to find help, in the user\'s language, streamed or not', async () => {
    const { chat, calls, store } = service('irrelevant');
    const reply = await chat.reply({ ...turn, message: 'SELFHARM', language: 'de' }, signal);
    expect(reply).toMatchObject({ reply: NOTICES.selfHarmSupport.de, notice: NOTICES.selfHarmSupport.de, finish_reason: 'content_filter', safety: { action: 'block' } });
    expect(reply.reply).toContain('0800 111 0 111');
    const events = [];
    for await (const event of await chat.stream({ ...turn, message: 'SELFHARM', language: 'fr' }, signal)) events.push(event);
    expect(events.at(-1)).toMatchObject({ type: 'done', safety: { action: 'block' }, notice: NOTICES.selfHarmSupport.fr });
    expect(NOTICES.selfHarmSupport.fr).toContain('3114');
    expect(calls).toHaveLength(0);
    expect(await store.history('s1', 10)).toEqual([]);
  });

  it('never calls the model for blocked input', async () => {
    const { chat, calls, store } = service('irrelevant');
    const reply = await chat.reply({ ...turn, message: 'BLOCK me' }, signal);
    expect(reply).toMatchObject({ reply: NOTICES.inputBlocked.en, notice: NOTICES.inputBlocked.en, finish_reason: 'content_filter', safety: { action: 'block' } });
    expect(calls).toHaveLength(0);
    // Kept, it would go back to the model with the next turn.
    expect(await store.history('s1', 10)).toEqual([]);
  });

  it('sends and stores redacted input, never the original', async () => {
    const { chat, calls } = service('noted');
    const reply = await chat.reply({ ...turn, message: 'mail secret@example.com please' }, signal);
    expect(reply.safety.action).toBe('redact');
    expect(JSON.stringify(calls[0]?.request.messages)).not.toContain('secret@example.com');
    expect(JSON.stringify(await chat.history('s1'))).not.toContain('secret@example.com');
  });

  it('replaces a blocked reply with the localized notice, in the answer and in the history', async () => {
    const { chat } = service('hier ist BLOCK Inhalt');
    const reply = await chat.reply({ ...turn, language: 'de' }, signal);
    expect(reply).toMatchObject({ reply: NOTICES.outputBlocked.de, notice: NOTICES.outputBlocked.de, finish_reason: 'content_filter', safety: { action: 'block' } });
    expect(JSON.stringify(reply)).not.toContain('BLOCK');
    expect((await chat.history('s1')).map((m) => m.content)).toEqual(['hello there', NOTICES.outputBlocked.de]);
  });

  it('fails closed when safety-service is down', async () => {
    const s = service('anything');
    s.state.down = true;
    await expect(s.chat.reply(turn, signal)).rejects.toBeInstanceOf(SafetyUnavailableError);
    expect(s.calls).toHaveLength(0);
  });
});

describe('ChatService.stream', () => {
  it('releases only text that passed a window check, in order, and ends with done and usage', async () => {
    const reply = 'The quick brown fox jumps over the lazy dog and keeps running far away.';
    const { chat, seen } = service(reply, 16);
    const events = await collect(await chat.stream(turn, signal));
    expect(events[0]).toEqual({ type: 'meta', message_id: 'id-1', model: 'm' });
    const deltas = events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text);
    expect(deltas.join('')).toBe(reply);
    expect(deltas.length).toBeGreaterThan(2);
    // Every released piece was checked first (together with the lookahead that followed it).
    const outputChecks = seen.filter((s) => s.direction === 'output').map((s) => s.text);
    for (const delta of deltas) expect(outputChecks.some((checked) => checked.startsWith(delta))).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'done', finish_reason: 'stop', usage: { input_tokens: 11, output_tokens: 7 }, cost_usd: 0, safety: { action: 'allow' }, model: 'm' });
  });

  it('stops the generation and ends with content_filter when a window is blocked, releasing none of it', async () => {
    const { chat, calls } = service('Fine words first then BLOCK this part and more words after it.', 16);
    const events = await collect(await chat.stream(turn, signal));
    const text = events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text).join('');
    expect(text).not.toContain('BLOCK');
    expect(events.at(-1)).toMatchObject({ type: 'done', finish_reason: 'content_filter', safety: { action: 'block' }, notice: NOTICES.outputBlocked.en });
    expect(calls[0]?.signal.aborted).toBe(true);
  });

  it('throws from the stream without releasing unchecked text when safety fails mid-way', async () => {
    const s = service('One two three four five six seven eight nine ten eleven twelve.', 16);
    s.state.downAfter = 2; // input check and first output window pass, then safety goes down
    const events: ChatEvent[] = [];
    await expect(async () => {
      for await (const e of await s.chat.stream(turn, signal)) events.push(e);
    }).rejects.toBeInstanceOf(SafetyUnavailableError);
    const released = events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text).join('');
    // Only text covered by the one successful output check was released.
    expect(released.length).toBeGreaterThan(0);
    expect(s.seen.filter((x) => x.direction === 'output')[0]?.text.startsWith(released)).toBe(true);
    expect(s.calls[0]?.signal.aborted).toBe(true);
  });

  it('ends a blocked input with done and never opens the model stream', async () => {
    const { chat, calls } = service('x');
    const events = await collect(await chat.stream({ ...turn, message: 'BLOCK' }, signal));
    expect(events.map((e) => e.type)).toEqual(['meta', 'done']);
    expect(calls).toHaveLength(0);
  });
});

describe('when every model fails', () => {
  const allDown: LlmClient = {
    complete: () => Promise.reject(new LlmUnavailableError('all down', { retryAfterSeconds: 7 })),
    stream: () => Promise.reject(new LlmUnavailableError('all down', { retryAfterSeconds: 7 })),
  };

  it('passes the 503 on when no fallback message is configured', async () => {
    const { chat } = service('x', 16, { llm: allDown });
    await expect(chat.reply(turn, signal)).rejects.toBeInstanceOf(LlmUnavailableError);
    await expect(chat.stream(turn, signal)).rejects.toBeInstanceOf(LlmUnavailableError);
  });

  it('answers the configured message, marked degraded, streamed and not, and keeps it in the history', async () => {
    const fallbackMessages = { en: 'We are busy, try again soon.', de: 'Gerade ausgelastet.', fr: 'Occupé.' };
    const { chat, store } = service('x', 16, { llm: allDown, config: { fallbackMessages } });
    expect(await chat.reply(turn, signal)).toMatchObject({ reply: 'We are busy, try again soon.', degraded: true, finish_reason: 'stop', usage: { input_tokens: 0, output_tokens: 0 } });
    const events = await collect(await chat.stream({ ...turn, language: 'de' }, signal));
    expect(events.map((e) => e.type)).toEqual(['meta', 'delta', 'done']);
    expect(events[1]).toEqual({ type: 'delta', text: 'Gerade ausgelastet.' });
    expect(events[2]).toMatchObject({ type: 'done', degraded: true });
    expect((await store.history('s1', 10)).map((m) => m.content)).toContain('We are busy, try again soon.');
  });
});
