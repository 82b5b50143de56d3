import { afterEach, describe, expect, it, vi } from 'vitest';
import { effectScope } from 'vue';
import { createApiClient, createMemoryTokenStore, type TokenStore } from '../api/client';
import { useChatStream } from './useChatStream';
import { createReplyStream, json, problem, type Reply } from '../testing/gateway-responses';


/**
 * A gateway double: issues tokens tok-1, tok-2, ..., accepts only `validTokens`, and hands
 * each chat request to `onChat` so the test decides what the stream says.
 */
function createFakeGateway(options: { validTokens?: Set<string>; onChat?: (request: Request) => Response } = {}) {
  const validTokens = options.validTokens ?? new Set<string>();
  const requests: Request[] = [];
  const replies: Reply[] = [];
  let issued = 0;

  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(new URL(String(input), 'http://parley.test'), init);
    requests.push(request.clone());
    const { pathname } = new URL(request.url);
    if (request.method === 'POST' && pathname === '/api/v1/sessions') {
      const token = `tok-${++issued}`;
      validTokens.add(token);
      return json(201, { session_id: `s-${issued}`, token, expires_at: '2030-01-01T00:00:00Z' });
    }
    const token = request.headers.get('Authorization')?.replace(/^Bearer /, '') ?? '';
    if (!validTokens.has(token)) return problem(401, 'session_expired', 'Your session has expired.');
    if (request.method === 'GET' && pathname === '/api/v1/history') {
      return json(200, { messages: [{ id: 'h1', role: 'user', content: 'earlier', created_at: '2030-01-01T00:00:00Z' }] });
    }
    if (request.method === 'DELETE' && pathname === '/api/v1/sessions/current') {
      validTokens.delete(token);
      return new Response(null, { status: 204 });
    }
    if (request.method === 'POST' && pathname === '/api/v1/chat') {
      if (options.onChat !== undefined) return options.onChat(request);
      const reply = createReplyStream(request.signal);
      replies.push(reply);
      return new Response(reply.body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
    }
    return problem(404, 'not_found', 'No such route.');
  });

  return { fetch, requests, replies, validTokens };
}

function setup(gateway: ReturnType<typeof createFakeGateway>, tokens: TokenStore = createMemoryTokenStore()) {
  const client = createApiClient({ language: 'de', tokens, fetch: gateway.fetch });
  const scope = effectScope();
  const chat = scope.run(() => useChatStream(client))!;
  scopes.push(scope);
  return { chat, tokens };
}

const scopes: ReturnType<typeof effectScope>[] = [];
afterEach(() => {
  for (const scope of scopes.splice(0)) scope.stop();
  vi.useRealTimers();
});

async function nextReply(gateway: ReturnType<typeof createFakeGateway>, index = 0): Promise<Reply> {
  await vi.waitFor(() => expect(gateway.replies[index]).toBeDefined());
  return gateway.replies[index]!;
}

describe('useChatStream', () => {
  it('creates a session in the browser language, then loads its history with the bearer token', async () => {
    const gateway = createFakeGateway();
    const { chat, tokens } = setup(gateway);

    await chat.loadHistory();

    const [session, history] = gateway.requests;
    expect(await session?.json()).toEqual({ language: 'de' });
    expect(history?.headers.get('Authorization')).toBe('Bearer tok-1');
    expect(tokens.get()).toBe('tok-1');
    expect(chat.messages.value).toEqual([{ id: 'h1', messageId: 'h1', role: 'user', content: 'earlier', state: 'complete' }]);
  });

  it('reuses a stored session token instead of creating a new session', async () => {
    const gateway = createFakeGateway({ validTokens: new Set(['kept']) });
    const { chat } = setup(gateway, createMemoryTokenStore('kept'));

    await chat.loadHistory();

    expect(gateway.requests.map((r) => new URL(r.url).pathname)).toEqual(['/api/v1/history']);
    expect(gateway.requests[0]?.headers.get('Authorization')).toBe('Bearer kept');
  });

  it('renders deltas as they arrive and finishes the reply on done', async () => {
    const gateway = createFakeGateway();
    const { chat } = setup(gateway);

    const sending = chat.send('  hello  ');
    expect(chat.pending.value).toBe(true);
    expect(chat.canSend.value).toBe(false);
    const reply = await nextReply(gateway);

    reply.event('meta', { message_id: 'm1' });
    reply.event('delta', { text: 'Hal' });
    await vi.waitFor(() => expect(chat.messages.value.at(-1)?.content).toBe('Hal'));
    reply.event('delta', { text: 'lo!' });
    await vi.waitFor(() => expect(chat.messages.value.at(-1)?.content).toBe('Hallo!'));
    expect(chat.messages.value.at(-1)?.state).toBe('streaming');
    reply.event('done', { finish_reason: 'stop', usage: { input_tokens: 1, output_tokens: 2 }, safety: { action: 'allow' } });

    expect(await sending).toBe(true);
    const chatRequest = gateway.requests.find((r) => r.url.endsWith('/api/v1/chat'));
    expect(chatRequest?.headers.get('Accept')).toBe('text/event-stream');
    expect(await chatRequest?.json()).toEqual({ message: 'hello', language: 'de' });
    expect(chat.messages.value.map(({ role, content, state, messageId }) => ({ role, content, state, messageId }))).toEqual([
      { role: 'user', content: 'hello', state: 'complete', messageId: undefined },
      { role: 'assistant', content: 'Hallo!', state: 'complete', messageId: 'm1' },
    ]);
    expect(chat.lastOutcome.value).toBe('complete');
    expect(chat.pending.value).toBe(false);
    expect(chat.error.value).toBeNull();
  });

  it('drops the released text of a blocked reply and marks it blocked, for the view to show its own notice', async () => {
    const gateway = createFakeGateway();
    const { chat } = setup(gateway);
    const sending = chat.send('hello');
    const reply = await nextReply(gateway);
    reply.event('meta', { message_id: 'm1' });
    reply.event('delta', { text: 'Harmless start ' });
    reply.event('done', { finish_reason: 'content_filter', safety: { action: 'block' }, notice: 'Diese Antwort wurde zurückgehalten.' });
    expect(await sending).toBe(true);
    expect(chat.messages.value.at(-1)).toMatchObject({ role: 'assistant', content: '', state: 'blocked', messageId: 'm1' });
    expect(JSON.stringify(chat.messages.value)).not.toContain('Harmless start');
    expect(chat.lastOutcome.value).toBe('blocked');
  });

  it('reports the code of a terminal error event and keeps the partial reply', async () => {
    const gateway = createFakeGateway();
    const { chat } = setup(gateway);

    const sending = chat.send('hello');
    const reply = await nextReply(gateway);
    reply.event('delta', { text: 'Partial' });
    reply.event('error', { code: 'upstream_failed', message: 'The model stopped answering.', retryable: true });

    expect(await sending).toBe(true);
    expect(chat.error.value).toEqual({ code: 'upstream_failed', kind: 'failed', traceId: undefined, retryable: true });
    expect(chat.failedMessage()).toBe('hello');
    expect(chat.messages.value.at(-1)).toMatchObject({ role: 'assistant', content: 'Partial', state: 'failed' });
    expect(chat.pending.value).toBe(false);
  });

  it('reports a stream that ends without done or error as cut off', async () => {
    const gateway = createFakeGateway();
    const { chat } = setup(gateway);

    const sending = chat.send('hello');
    const reply = await nextReply(gateway);
    reply.event('delta', { text: 'Half' });
    reply.close();

    expect(await sending).toBe(true);
    expect(chat.error.value).toMatchObject({ code: 'protocol', kind: 'protocol', retryable: true });
    expect(chat.messages.value.at(-1)).toMatchObject({ content: 'Half', state: 'failed' });
  });

  it('stop aborts the request and marks the reply as stopped', async () => {
    const gateway = createFakeGateway();
    const { chat } = setup(gateway);

    const sending = chat.send('hello');
    const reply = await nextReply(gateway);
    reply.event('delta', { text: 'Some' });
    await vi.waitFor(() => expect(chat.messages.value.at(-1)?.content).toBe('Some'));

    chat.stop();

    expect(await sending).toBe(true);
    const chatCall = gateway.fetch.mock.calls.find(([url]) => String(url).endsWith('/api/v1/chat'));
    expect(chatCall?.[1]?.signal?.aborted).toBe(true);
    expect(chat.messages.value.at(-1)).toMatchObject({ content: 'Some', state: 'stopped' });
    expect(chat.lastOutcome.value).toBe('stopped');
    expect(chat.error.value).toBeNull();
    expect(chat.pending.value).toBe(false);
    expect(chat.canSend.value).toBe(true);
  });

  it('when the session has expired, starts a new one and retries the message once', async () => {
    const gateway = createFakeGateway();
    const { chat, tokens } = setup(gateway, createMemoryTokenStore('expired'));

    const sending = chat.send('hello');
    const reply = await nextReply(gateway);
    reply.event('done', { finish_reason: 'stop' });
    expect(await sending).toBe(true);

    const calls = gateway.requests.map((r) => `${r.method} ${new URL(r.url).pathname} ${r.headers.get('Authorization') ?? '-'}`);
    expect(calls).toEqual([
      'POST /api/v1/chat Bearer expired',
      'POST /api/v1/sessions -',
      'POST /api/v1/chat Bearer tok-1',
    ]);
    expect(tokens.get()).toBe('tok-1');
    expect(chat.sessionRenewed.value).toBe(true);
  });

  it('does not report a renewal when the very first session is created', async () => {
    const gateway = createFakeGateway();
    const { chat } = setup(gateway);
    await chat.loadHistory();
    expect(chat.sessionRenewed.value).toBe(false);
  });

  it('gives up after one retry when the new session is refused too', async () => {
    const gateway = createFakeGateway({
      onChat: () => problem(401, 'unauthorized', 'Not allowed.'),
    });
    const { chat } = setup(gateway);

    expect(await chat.send('hello')).toBe(false);
    expect(gateway.requests.filter((r) => r.url.endsWith('/api/v1/chat'))).toHaveLength(2);
    expect(chat.error.value).toEqual({ code: 'unauthorized', kind: 'rejected', traceId: 'trace-123', retryable: false });
  });

  it('on 429 reports rate_limited, hands the message back and disables Send for Retry-After seconds', async () => {
    vi.useFakeTimers();
    const gateway = createFakeGateway({
      onChat: () => problem(429, 'rate_limited', 'Too many messages; wait a moment.', { 'Retry-After': '3' }),
    });
    const { chat } = setup(gateway);

    expect(await chat.send('hello')).toBe(false);

    expect(chat.error.value).toEqual({ code: 'rate_limited', kind: 'rate_limit', traceId: 'trace-123', retryable: false });
    expect(chat.messages.value).toEqual([]);
    expect(chat.cooldownSeconds.value).toBe(3);
    expect(chat.canSend.value).toBe(false);
    expect(await chat.send('again')).toBe(false);

    vi.advanceTimersByTime(2000);
    expect(chat.cooldownSeconds.value).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(chat.cooldownSeconds.value).toBe(0);
    expect(chat.canSend.value).toBe(true);
  });

  it('aborts the reply in flight when its owner goes away', async () => {
    const gateway = createFakeGateway();
    const { chat } = setup(gateway);

    const sending = chat.send('hello');
    await nextReply(gateway);
    for (const scope of scopes.splice(0)) scope.stop();

    expect(await sending).toBe(true);
    const chatCall = gateway.fetch.mock.calls.find(([url]) => String(url).endsWith('/api/v1/chat'));
    expect(chatCall?.[1]?.signal?.aborted).toBe(true);
  });

  it('marks a degraded fallback reply as such', async () => {
    const gateway = createFakeGateway();
    const { chat } = setup(gateway);
    const sending = chat.send('hello');
    const reply = await nextReply(gateway);
    reply.event('delta', { text: 'Sorry, try later.' });
    reply.event('done', { finish_reason: 'stop', safety: { action: 'allow' }, degraded: true });
    await sending;
    expect(chat.messages.value.at(-1)).toMatchObject({ content: 'Sorry, try later.', state: 'complete', degraded: true });
  });

  it('on a 503 with Retry-After reports llm_unavailable, waits, then retry sends the same message again', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const gateway = createFakeGateway({
      onChat: () => {
        calls += 1;
        if (calls === 1) return problem(503, 'llm_unavailable', 'Breaker open.', { 'Retry-After': '2' });
        return new Response('event: delta\ndata: {"text":"Back"}\n\nevent: done\ndata: {"finish_reason":"stop"}\n\n', {
          status: 200,
          headers: { 'Content-Type': 'text/event-stream' },
        });
      },
    });
    const { chat } = setup(gateway);

    expect(await chat.send('hello')).toBe(false);
    expect(chat.error.value).toMatchObject({ code: 'llm_unavailable', kind: 'unavailable', retryable: true });
    expect(chat.cooldownSeconds.value).toBe(2);
    expect(await chat.retry()).toBe(false); // not before the wait is over
    vi.advanceTimersByTime(2000);
    expect(chat.canSend.value).toBe(true);

    expect(await chat.retry()).toBe(true);
    expect(chat.error.value).toBeNull();
    expect(chat.messages.value.map((m) => m.content)).toEqual(['hello', 'Back']);
  });

  it('when the gateway cannot be reached, reports offline and retry sends the message once it is back', async () => {
    const gateway = createFakeGateway();
    const fetch = vi.fn(gateway.fetch);
    fetch.mockRejectedValueOnce(new TypeError('Failed to fetch'));
    const client = createApiClient({ language: 'en', tokens: createMemoryTokenStore(), fetch });
    const scope = effectScope();
    scopes.push(scope);
    const chat = scope.run(() => useChatStream(client))!;

    expect(await chat.send('hello')).toBe(false);
    expect(chat.error.value).toMatchObject({ code: 'offline', kind: 'offline', retryable: true });
    expect(chat.messages.value).toEqual([]);

    const retrying = chat.retry();
    const reply = await nextReply(gateway);
    reply.event('done', { finish_reason: 'stop' });
    expect(await retrying).toBe(true);
    expect(chat.error.value).toBeNull();
    expect(chat.messages.value.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('a new conversation clears the view and starts a fresh session', async () => {
    const gateway = createFakeGateway();
    const { chat, tokens } = setup(gateway);
    await chat.loadHistory();
    expect(chat.messages.value).toHaveLength(1);

    expect(await chat.newConversation()).toBe(true);

    expect(chat.messages.value).toEqual([]);
    expect(tokens.get()).toBe('tok-2');
    expect(gateway.requests.filter((r) => new URL(r.url).pathname === '/api/v1/sessions')).toHaveLength(2);
    expect(chat.sessionRenewed.value).toBe(false);
  });

  it('delete my data calls DELETE /api/v1/sessions/current with the token, then forgets the token and the messages', async () => {
    const gateway = createFakeGateway();
    const { chat, tokens } = setup(gateway);
    await chat.loadHistory();

    await chat.deleteData();

    const erase = gateway.requests.find((r) => r.method === 'DELETE');
    expect(new URL(erase!.url).pathname).toBe('/api/v1/sessions/current');
    expect(erase?.headers.get('Authorization')).toBe('Bearer tok-1');
    expect(tokens.get()).toBeNull();
    expect(chat.messages.value).toEqual([]);
  });

  it('sends the language the client is switched to with the next message', async () => {
    const gateway = createFakeGateway();
    const client = createApiClient({ language: 'de', tokens: createMemoryTokenStore(), fetch: gateway.fetch });
    const scope = effectScope();
    scopes.push(scope);
    const chat = scope.run(() => useChatStream(client))!;

    client.setLanguage('fr');
    const sending = chat.send('bonjour');
    (await nextReply(gateway)).event('done', { finish_reason: 'stop' });
    await sending;

    const [session, message] = gateway.requests;
    expect(await session?.json()).toEqual({ language: 'fr' });
    expect(await message?.json()).toEqual({ message: 'bonjour', language: 'fr' });
  });
});
