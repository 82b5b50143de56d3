import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calls, describeFailure, parseSse, read, readUiStream, turnFailed, urlOf, type Call, type Reply, type RequestKind } from '../../k6/lib/contract.js';
import { SERVER_SERIES, summaryText, type SummaryData } from '../../k6/lib/summary.js';
import { ADMIN_API_KEY, readSse, startStack, type Stack } from './stack.js';

// k6 cannot run here, so this sends every request the k6 scenarios make (k6/lib/contract.ts)
// with fetch against the real stack and runs the same checks the scenarios record.

let stack: Stack;
let apiKey: string;
const exercised = new Set<RequestKind>();

beforeAll(async () => {
  stack = await startStack({
    gateway: { RATE_LIMIT_IP_PER_MINUTE: '100000', RATE_LIMIT_API_KEY_PER_MINUTE: '100000', FEEDBACK_ENABLED: 'true' },
    'chat-service': { FEEDBACK_ENABLED: 'true' },
  });
  const res = await fetch(`${stack.gateway.url}/api/v1/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'k6', role: 'user' }),
  });
  expect(res.status).toBe(201);
  apiKey = ((await res.json()) as { key: string }).key;
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

function replyOf(res: Response, body: string): Reply {
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: res.status, headers, body };
}

/** Sends a call as k6 does (method, URL, headers, body); returns the reply and the checks it failed. */
async function perform(call: Call, baseUrl = stack.gateway.url): Promise<{ reply: Reply; failed: string[] }> {
  const { request } = call;
  exercised.add(request.kind);
  const res = await fetch(urlOf(baseUrl, request), {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: AbortSignal.timeout(request.timeoutSeconds * 1000),
  });
  const reply = replyOf(res, await res.text());
  return { reply, failed: Object.keys(call.checks).filter((name) => !call.checks[name]?.(reply)) };
}

/** Every check passes and k6 would count the status as expected (not in http_req_failed). */
async function passes(call: Call, baseUrl?: string): Promise<Reply> {
  const { reply, failed } = await perform(call, baseUrl);
  expect(failed, describeFailure(call.request, reply)).toEqual([]);
  expect(call.request.expect).toContain(reply.status);
  expect(turnFailed(call.request, reply)).toBe(false);
  return reply;
}

async function simConfig(body: unknown): Promise<void> {
  const res = await fetch(`${stack.sim.url}/_sim/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status, await res.text()).toBe(200);
}

describe('every request of the k6 scenarios against the real stack', () => {
  it('walks the smoke scenario: every route once, each answer passing the checks k6 records', async () => {
    await passes(calls.livez());
    await passes(calls.readyz());
    for (const service of [stack.gateway, stack.chat, stack.safety]) await passes(calls.metrics(`${service.url}/metrics`));
    expect(read.feedbackEnabled(await passes(calls.config()))).toBe(true);
    await passes(calls.webPage());
    await passes(calls.widget());

    const session = read.session(await passes(calls.createSession()));
    if (!session) throw new Error('no session');
    const jsonId = read.messageId(await passes(calls.chatJson(session.token)));
    const streamId = read.messageId(await passes(calls.chatStream(session.token)));
    expect(jsonId).toBeDefined();
    expect(streamId).toBeDefined();
    await passes(calls.history(session.token, streamId));
    await passes(calls.feedback(session.token, jsonId ?? '', true));
    await passes(calls.exportSession(session.token, session.sessionId));

    const models = read.modelIds(await passes(calls.models(apiKey)));
    const model = models[0] ?? '';
    await passes(calls.model(apiKey, model));
    await passes(calls.completion(apiKey, model));
    await passes(calls.completionStream(apiKey, model));

    await passes(calls.eraseSession(session.token));
    // The erased session's token is gone: a user turn after this starts a new session (userTurn on 401).
    expect((await perform(calls.history(session.token))).reply.status).toBe(401);
  });

  it('with feedback switched off, expects the 404 feedback_disabled the gateway answers (as the config says)', async () => {
    const replica = await stack.addGateway({ FEEDBACK_ENABLED: 'false' });
    expect(read.feedbackEnabled(await passes(calls.config(), replica.url))).toBe(false);
    const session = read.session(await passes(calls.createSession('de'), replica.url));
    if (!session) throw new Error('no session');
    const messageId = read.messageId(await passes(calls.chatJson(session.token), replica.url)) ?? '';
    await passes(calls.feedback(session.token, messageId, false), replica.url);
  });

  it('fails the checks of a stream that breaks after its first byte, and counts the turn as failed', async () => {
    const broken = 'A story [[sim:fault=cut_after=4]] [[sim:reply_tokens=80]]';
    const session = read.session(await passes(calls.createSession()));
    if (!session) throw new Error('no session');

    const ui = calls.chatStream(session.token, broken);
    const uiResult = await perform(ui);
    expect(uiResult.reply.status).toBe(200);
    expect(uiResult.failed).toContain('chat (SSE): no error event');
    expect(turnFailed(ui.request, uiResult.reply)).toBe(true);
    expect(describeFailure(ui.request, uiResult.reply)).toMatch(/^POST \/api\/v1\/chat: HTTP 200 code=\S+ request_id=\S+$/);

    const openai = calls.completionStream(apiKey, 'gpt-4o-mini', broken);
    const openaiResult = await perform(openai);
    expect(openaiResult.failed).toContain('completion (stream): ends with [DONE], no error');
    expect(turnFailed(openai.request, openaiResult.reply)).toBe(true);
  });

  it('names the error code and trace id of a turn that failed before its first byte', async () => {
    const session = read.session(await passes(calls.createSession()));
    if (!session) throw new Error('no session');
    const call = calls.chatJson(session.token, 'Hello [[sim:fault=400]]');
    const { reply, failed } = await perform(call);
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(failed).toContain('chat (JSON): status is 200');
    expect(turnFailed(call.request, reply)).toBe(true);
    expect(describeFailure(call.request, reply)).toMatch(/^POST \/api\/v1\/chat: HTTP \d{3} code=\S+ trace_id=[0-9a-f]{32}/);
  });

  it("times a streamed turn's first byte before its first token: the headers wait for the model's first chunk", async () => {
    // k6 reads the first byte (timings.waiting), not the first delta: this holds the two apart.
    const ttftMs = 600;
    await simConfig({ ttft_ms: ttftMs, tokens_per_second: 50, reply_tokens: 30 });
    try {
      const session = read.session(await passes(calls.createSession()));
      if (!session) throw new Error('no session');
      const call = calls.chatStream(session.token);
      exercised.add(call.request.kind);
      const started = performance.now();
      const res = await fetch(urlOf(stack.gateway.url, call.request), { method: call.request.method, headers: call.request.headers, body: call.request.body });
      const firstByte = performance.now() - started;
      let text = '';
      let firstDelta: number | undefined;
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        if (firstDelta === undefined && parseSse(text).some((e) => e.event === 'delta')) firstDelta = performance.now() - started;
      }

      // Not sent before the model answered (so no early `meta` makes the first byte meaningless).
      expect(firstByte).toBeGreaterThanOrEqual(ttftMs - 10);
      // ...and not far below the first token: one output safety window (SAFETY_FLUSH_MS, 100 ms) and its check.
      expect((firstDelta ?? Infinity) - firstByte).toBeLessThan(1000);
      const reply = replyOf(res, text);
      expect(Object.keys(call.checks).filter((name) => !call.checks[name]?.(reply))).toEqual([]);
      // The scenarios' parser reads the real stream as the test's own parser does.
      const independent = await readSse(new Response(text));
      expect(parseSse(text).map((e) => ({ event: e.event, data: JSON.parse(e.data) as unknown }))).toEqual(independent);
      const deltas = independent.filter((e) => e.event === 'delta').map((e) => (e.data as { text: string }).text);
      expect(readUiStream(text)).toMatchObject({ deltas: deltas.length, text: deltas.join('') });
    } finally {
      await fetch(`${stack.sim.url}/_sim/reset`, { method: 'POST' });
    }
  });

  it('finds the server series the summary points at on the real services', async () => {
    const scrape = async (url: string) => (await fetch(`${url}/metrics`)).text();
    expect(await scrape(stack.gateway.url)).toMatch(new RegExp(`^${SERVER_SERIES.gatewayOverhead}_bucket\\{`, 'm'));
    // The TTFT SLO's boundary is a bucket of chat-service's histogram (streamed turns ran above).
    expect(await scrape(stack.chat.url)).toMatch(new RegExp(`^${SERVER_SERIES.timeToFirstText}_bucket\\{[^}]*le="2.56"`, 'm'));
    for (const service of [stack.gateway, stack.chat, stack.safety]) expect(await scrape(service.url)).toMatch(new RegExp(`^${SERVER_SERIES.residentMemory} `, 'm'));
  });

  it('sent every request kind the contract defines: none escapes this test', () => {
    expect([...exercised].sort()).toEqual(Object.keys(calls).sort());
  });
});

describe('the end-of-test summary', () => {
  it('lists each threshold with its value, the streamed-turn bounds and the server queries over the run', () => {
    const data: SummaryData = {
      state: { testRunDurationMs: 600_000 },
      metrics: {
        http_reqs: { type: 'counter', values: { count: 1200, rate: 2 } },
        iterations: { type: 'counter', values: { count: 400 } },
        vus: { type: 'gauge', values: { max: 10 } },
        parley_chat_turns: { type: 'counter', values: { count: 400, rate: 0.67 } },
        parley_chat_turn_failed: { type: 'rate', values: { rate: 0.0025 }, thresholds: { 'rate<0.001': { ok: false } } },
        'http_req_duration{streamed:false}': { type: 'trend', contains: 'time', values: { 'p(95)': 850 }, thresholds: { 'p(95)<2000': { ok: true } } },
        parley_stream_first_byte: { type: 'trend', contains: 'time', values: { med: 400, 'p(95)': 1200, max: 3000 }, thresholds: { 'p(95)<2560': { ok: true } } },
      },
    };
    const text = summaryText(data, { scenario: 'load', baseUrl: 'http://gateway:8080' });
    expect(text).toContain('Parley k6 "load" against http://gateway:8080: 1 of 3 SLO thresholds FAILED');
    expect(text).toContain('FAIL parley_chat_turn_failed rate<0.001  (rate=0.250%)');
    expect(text).toContain('ok   http_req_duration{streamed:false} p(95)<2000  (p(95)=850 ms)');
    expect(text).toContain('first byte      p50 400 ms  p95 1.20 s  max 3.00 s');
    expect(text).toContain(`histogram_quantile(0.95, sum by (le) (rate(${SERVER_SERIES.gatewayOverhead}_bucket[600s])))`);
  });
});
