import { afterEach, describe, expect, it, vi } from 'vitest';
import { effectScope } from 'vue';
import { createApiClient, createMemoryTokenStore, type TokenStore } from '../api/client';
import { useChatStream } from './useChatStream';

const encoder = new TextEncoder();

/** A reply body the test writes to event by event; it errors like fetch's body does when the request is aborted. */
function createReplyStream(signal: AbortSignal) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  signal.addEventListener('abort', () => controller.error(signal.reason));
  return {
    body,
    event(name: string, data: unknown) {
      controller.enqueue(encoder.encode(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`));
    },
    close() {
      controller.close();
    },
  };
}

type Reply = ReturnType<typeof createReplyStream>;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const type = status >= 400 ? 'application/problem+json' : 'application/json';
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type, ...headers } });
}

function problem(status: number, code: string, detail: string, headers: Record<string, string> = {}): Response {
  return json(status, { type: `https://parley.dev/problems/${code}`, title: code, status, detail, code, trace_id: 't1' }, headers);
}

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
    expect(chat.messages.value).toEqual([{ id: 'h1', role: 'user', content: 'earlier', state: 'complete' }]);
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
    expect(chat.messages.value.map(({ role, content, state }) => ({ role, content, state }))).toEqual([
      { role: 'user', content: 'hello', state: 'complete' },
      { role: 'assistant', content: 'Hallo!', state: 'complete' },
    ]);
    expect(chat.pending.value).toBe(false);
    expect(chat.error.value).toBeNull();
  });

  it('replaces a blocked reply with the notice the server sends', async () => {
    const gateway = createFakeGateway();
    const { chat } = setup(gateway);
    const sending = chat.send('hello');
    const reply = await nextReply(gateway);
    reply.event('meta', { message_id: 'm1' });
    reply.event('delta', { text: 'Harmless start ' });
    reply.event('done', { finish_reason: 'content_filter', safety: { action: 'block' }, notice: 'Diese Antwort wurde zurückgehalten.' });
    expect(await sending).toBe(true);
    expect(chat.messages.value.at(-1)).toMatchObject({ role: 'assistant', content: 'Diese Antwort wurde zurückgehalten.', state: 'complete' });
  });

  it('shows the message of a terminal error event and keeps the partial reply', async () => {
    const gateway = createFakeGateway();
    const { chat } = setup(gateway);

    const sending = chat.send('hello');
    const reply = await nextReply(gateway);
    reply.event('delta', { text: 'Partial' });
    reply.event('error', { code: 'upstream_failed', message: 'The model stopped answering.', retryable: true });

    expect(await sending).toBe(true);
    expect(chat.error.value).toBe('The model stopped answering.');
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
    expect(chat.error.value).toMatch(/cut off/);
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
  });

  it('gives up after one retry when the new session is refused too', async () => {
    const gateway = createFakeGateway({
      onChat: () => problem(401, 'unauthorized', 'Not allowed.'),
    });
    const { chat } = setup(gateway);

    expect(await chat.send('hello')).toBe(false);
    expect(gateway.requests.filter((r) => r.url.endsWith('/api/v1/chat'))).toHaveLength(2);
    expect(chat.error.value).toBe('Not allowed.');
  });

  it('on 429 shows the detail, hands the message back and disables Send for Retry-After seconds', async () => {
    vi.useFakeTimers();
    const gateway = createFakeGateway({
      onChat: () => problem(429, 'rate_limited', 'Too many messages; wait a moment.', { 'Retry-After': '3' }),
    });
    const { chat } = setup(gateway);

    expect(await chat.send('hello')).toBe(false);

    expect(chat.error.value).toBe('Too many messages; wait a moment.');
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
});
