/**
 * Every request the k6 scenarios make, and what a good answer to it looks like.
 *
 * Request builders (method, path, headers, body) and checks (pure functions over status,
 * headers and body text), one entry per request kind. The scenarios send these with k6/http
 * and record the checks with k6's `check` (see ./k6-parley.ts); test/e2e/k6-contract.test.ts
 * sends every kind with fetch against the real stack and runs the same checks, so a change of
 * route or response shape that would break a scenario fails CI, where k6 cannot run.
 *
 * No imports and no runtime globals: k6 (Sobek) and Node both load this file as it is.
 */

export type RequestKind =
  | 'livez'
  | 'readyz'
  | 'metrics'
  | 'config'
  | 'webPage'
  | 'widget'
  | 'createSession'
  | 'chatJson'
  | 'chatStream'
  | 'history'
  | 'feedback'
  | 'exportSession'
  | 'eraseSession'
  | 'models'
  | 'model'
  | 'completion'
  | 'completionStream';

export interface RequestSpec {
  kind: RequestKind;
  method: 'GET' | 'POST' | 'DELETE';
  /** A path on the base URL, or an absolute URL (a service's /metrics). */
  target: string;
  /** Route template: the k6 `name` tag, bounded (the load dashboard groups by it). */
  name: string;
  headers: Record<string, string>;
  body: string | null;
  /** Statuses that count as an answer; k6 counts any other in http_req_failed. */
  expect: number[];
  /** The answer lasts as long as the model talks (SSE). */
  streamed: boolean;
  timeoutSeconds: number;
}

export interface Reply {
  /** 0 when no response arrived (connection refused, timeout). */
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

export type Checks = Record<string, (reply: Reply) => boolean>;

export interface Call {
  request: RequestSpec;
  checks: Checks;
}

/** A greeting: allowed by the safety policy, answered by any model (or the simulator). */
export const GREETING = 'Hello! Please reply with a short greeting.';

const LANGUAGES = ['en', 'de', 'fr'];
const CHAT_TIMEOUT_SECONDS = 60;
const QUICK_TIMEOUT_SECONDS = 10;

// --- reading answers --------------------------------------------------------------------------

type JsonObject = Record<string, unknown>;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

const jsonObject = (reply: Reply): JsonObject | undefined => asObject(parseJson(reply.body));
const nonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const count = (value: unknown): boolean => typeof value === 'number' && Number.isInteger(value) && value >= 0;
const contentType = (reply: Reply): string => reply.headers['content-type'] ?? '';
const isJson = (reply: Reply): boolean => /^application\/json\b/.test(contentType(reply));
const isProblem = (reply: Reply): boolean => /^application\/problem\+json\b/.test(contentType(reply));
const isEventStream = (reply: Reply): boolean => /^text\/event-stream\b/.test(contentType(reply));
const usageCounts = (usage: unknown): boolean => {
  const u = asObject(usage);
  return !!u && count(u['input_tokens']) && count(u['output_tokens']);
};
/** A greeting must not be blocked; a redaction is a policy matter, not a failure. */
const safetyLetThrough = (safety: unknown): boolean => ['allow', 'redact'].indexOf(String(asObject(safety)?.['action'])) !== -1;

export interface SseEvent {
  /** `message` when the block names none (OpenAI-style streams). */
  event: string;
  data: string;
}

/** Parses a Server-Sent Events body into events; comments (`: keep-alive`, `: parley {...}`) are skipped. */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line === '' || line.charAt(0) === ':') continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.charAt(0) === ' ') value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') });
  }
  return events;
}

/** The UI's chat stream: `meta`, `delta`s, then `done` or a terminal `error`. */
export interface UiStream {
  events: string[];
  messageId: string | undefined;
  deltas: number;
  text: string;
  done: JsonObject | undefined;
  error: JsonObject | undefined;
}

export function readUiStream(body: string): UiStream {
  const stream: UiStream = { events: [], messageId: undefined, deltas: 0, text: '', done: undefined, error: undefined };
  for (const { event, data } of parseSse(body)) {
    stream.events.push(event);
    const payload = asObject(parseJson(data));
    if (event === 'meta' && nonEmptyString(payload?.['message_id'])) stream.messageId = payload['message_id'];
    if (event === 'delta' && typeof payload?.['text'] === 'string') {
      stream.deltas++;
      stream.text += payload['text'];
    }
    if (event === 'done') stream.done = payload ?? {};
    if (event === 'error') stream.error = payload ?? {};
  }
  return stream;
}

/** An OpenAI-compatible stream: `chat.completion.chunk` data lines, `[DONE]`, or an `{"error":...}` line. */
export interface CompletionStream {
  chunks: number;
  /** Every data line other than [DONE] was a chat.completion.chunk. */
  wellFormed: boolean;
  text: string;
  finishReasons: string[];
  usage: JsonObject | undefined;
  done: boolean;
  error: JsonObject | undefined;
}

export function readCompletionStream(body: string): CompletionStream {
  const stream: CompletionStream = { chunks: 0, wellFormed: true, text: '', finishReasons: [], usage: undefined, done: false, error: undefined };
  for (const { data } of parseSse(body)) {
    if (data === '[DONE]') {
      stream.done = true;
      continue;
    }
    const chunk = asObject(parseJson(data));
    if (chunk?.['error'] !== undefined) {
      stream.error = asObject(chunk['error']) ?? {};
      continue;
    }
    if (chunk?.['object'] !== 'chat.completion.chunk') {
      stream.wellFormed = false;
      continue;
    }
    stream.chunks++;
    const choices = Array.isArray(chunk['choices']) ? chunk['choices'] : [];
    for (const choice of choices) {
      const content = asObject(asObject(choice)?.['delta'])?.['content'];
      if (typeof content === 'string') stream.text += content;
      const finish = asObject(choice)?.['finish_reason'];
      if (nonEmptyString(finish)) stream.finishReasons.push(finish);
    }
    if (asObject(chunk['usage'])) stream.usage = asObject(chunk['usage']);
  }
  return stream;
}

/** What later requests need from earlier answers. */
export const read = {
  session(reply: Reply): { sessionId: string; token: string } | undefined {
    const body = jsonObject(reply);
    return nonEmptyString(body?.['session_id']) && nonEmptyString(body['token']) ? { sessionId: body['session_id'], token: body['token'] } : undefined;
  },
  feedbackEnabled(reply: Reply): boolean | undefined {
    const enabled = jsonObject(reply)?.['feedback_enabled'];
    return typeof enabled === 'boolean' ? enabled : undefined;
  },
  /** The message id of a chat turn, JSON or streamed. */
  messageId(reply: Reply): string | undefined {
    if (isEventStream(reply)) return readUiStream(reply.body).messageId;
    const id = jsonObject(reply)?.['message_id'];
    return nonEmptyString(id) ? id : undefined;
  },
  modelIds(reply: Reply): string[] {
    const data = jsonObject(reply)?.['data'];
    return Array.isArray(data) ? data.map((m) => asObject(m)?.['id']).filter(nonEmptyString) : [];
  },
  /** process_resident_memory_bytes from a service's /metrics (Prometheus text format). */
  residentMemoryBytes(reply: Reply): number | undefined {
    const match = /^process_resident_memory_bytes(?:\{[^}]*\})?\s+(\S+)/m.exec(reply.body);
    const value = match ? Number(match[1]) : NaN;
    return Number.isFinite(value) && value > 0 ? value : undefined;
  },
};

/**
 * Whether a chat turn failed as its user would see it: no answer, an unexpected status, or a
 * stream that did not end cleanly (a failure after the first byte keeps status 200 and ends
 * with an `error` event or an `{"error":...}` line).
 */
export function turnFailed(request: RequestSpec, reply: Reply): boolean {
  if (request.expect.indexOf(reply.status) === -1) return true;
  if (request.kind === 'chatStream') {
    const stream = readUiStream(reply.body);
    return stream.done === undefined || stream.error !== undefined;
  }
  if (request.kind === 'completionStream') {
    const stream = readCompletionStream(reply.body);
    return !stream.done || stream.error !== undefined;
  }
  return false;
}

/** One line for a failed request: status, error code, trace and request ids; never tokens or message text. */
export function describeFailure(request: RequestSpec, reply: Reply): string {
  const body = jsonObject(reply);
  const error = asObject(body?.['error']);
  let code = body?.['code'] ?? error?.['code'];
  if (code === undefined && request.kind === 'chatStream') code = readUiStream(reply.body).error?.['code'];
  if (code === undefined && request.kind === 'completionStream') code = readCompletionStream(reply.body).error?.['code'];
  const traceId = body?.['trace_id'] ?? error?.['trace_id'];
  const requestId = reply.headers['x-request-id'];
  return [
    `${request.name}: ${reply.status === 0 ? 'no response' : `HTTP ${reply.status}`}`,
    nonEmptyString(code) ? `code=${code}` : '',
    nonEmptyString(traceId) ? `trace_id=${traceId}` : '',
    nonEmptyString(requestId) ? `request_id=${requestId}` : '',
  ]
    .filter((part) => part !== '')
    .join(' ');
}

/** Resolves a request's target against the base URL (no trailing slash). */
export function urlOf(baseUrl: string, request: RequestSpec): string {
  return /^https?:\/\//.test(request.target) ? request.target : baseUrl + request.target;
}

// --- building requests ------------------------------------------------------------------------

interface Spec {
  kind: RequestKind;
  method: RequestSpec['method'];
  target: string;
  /** Defaults to METHOD target. */
  name?: string;
  accept: string;
  bearer?: string;
  json?: unknown;
  expect?: number[];
  streamed?: boolean;
}

function spec(s: Spec): RequestSpec {
  const headers: Record<string, string> = { Accept: s.accept };
  if (s.bearer !== undefined) headers['Authorization'] = `Bearer ${s.bearer}`;
  if (s.json !== undefined) headers['Content-Type'] = 'application/json';
  const chat = s.kind === 'chatJson' || s.kind === 'chatStream' || s.kind === 'completion' || s.kind === 'completionStream';
  return {
    kind: s.kind,
    method: s.method,
    target: s.target,
    name: s.name ?? `${s.method} ${s.target}`,
    headers,
    body: s.json === undefined ? null : JSON.stringify(s.json),
    expect: s.expect ?? [200],
    streamed: s.streamed ?? false,
    timeoutSeconds: chat ? CHAT_TIMEOUT_SECONDS : QUICK_TIMEOUT_SECONDS,
  };
}

const statusIs =
  (status: number) =>
  (reply: Reply): boolean =>
    reply.status === status;

/**
 * Every request kind, as a function of what it needs. `satisfies` keeps this object and
 * RequestKind in step: a kind without a builder, or a builder without a kind, does not compile.
 */
export const calls = {
  livez: (): Call => ({
    request: spec({ kind: 'livez', method: 'GET', target: '/livez', accept: 'application/json' }),
    checks: {
      'livez: status is 200': statusIs(200),
      'livez: says ok': (r) => jsonObject(r)?.['status'] === 'ok',
    },
  }),

  readyz: (): Call => ({
    request: spec({ kind: 'readyz', method: 'GET', target: '/readyz', accept: 'application/json' }),
    checks: {
      'readyz: status is 200': statusIs(200),
      'readyz: says ready': (r) => jsonObject(r)?.['status'] === 'ready',
    },
  }),

  /** A service's own /metrics (soak's memory watch): an absolute URL, not behind the gateway's routes. */
  metrics: (url: string): Call => ({
    request: spec({ kind: 'metrics', method: 'GET', target: url, name: 'GET /metrics', accept: 'text/plain' }),
    checks: {
      'metrics: status is 200': statusIs(200),
      'metrics: reports process_resident_memory_bytes': (r) => read.residentMemoryBytes(r) !== undefined,
    },
  }),

  config: (): Call => ({
    request: spec({ kind: 'config', method: 'GET', target: '/api/v1/config', accept: 'application/json' }),
    checks: {
      'config: status is 200': statusIs(200),
      'config: lists the languages': (r) => {
        const languages = jsonObject(r)?.['languages'];
        return Array.isArray(languages) && languages.length > 0 && languages.every((l) => LANGUAGES.indexOf(String(l)) !== -1);
      },
      'config: says whether feedback is on': (r) => read.feedbackEnabled(r) !== undefined,
      'config: has the message limit': (r) => count(asObject(jsonObject(r)?.['limits'])?.['max_message_chars']),
    },
  }),

  webPage: (): Call => ({
    request: spec({ kind: 'webPage', method: 'GET', target: '/', accept: 'text/html' }),
    checks: {
      'web page: status is 200': statusIs(200),
      'web page: is HTML': (r) => /^text\/html\b/.test(contentType(r)) && /<html/i.test(r.body),
    },
  }),

  widget: (): Call => ({
    request: spec({ kind: 'widget', method: 'GET', target: '/widget.js', accept: '*/*' }),
    checks: {
      'widget: status is 200': statusIs(200),
      'widget: is JavaScript': (r) => /javascript/.test(contentType(r)) && r.body.length > 0,
    },
  }),

  createSession: (language = 'en'): Call => ({
    request: spec({ kind: 'createSession', method: 'POST', target: '/api/v1/sessions', accept: 'application/json', json: { language }, expect: [201] }),
    checks: {
      'session: status is 201': statusIs(201),
      'session: has session_id and token': (r) => read.session(r) !== undefined,
      'session: expires_at is in the future': (r) => Date.parse(String(jsonObject(r)?.['expires_at'])) > Date.now(),
    },
  }),

  chatJson: (token: string, message = GREETING): Call => ({
    request: spec({ kind: 'chatJson', method: 'POST', target: '/api/v1/chat', accept: 'application/json', bearer: token, json: { message } }),
    checks: {
      'chat (JSON): status is 200': statusIs(200),
      'chat (JSON): content type is JSON': isJson,
      'chat (JSON): has message_id': (r) => nonEmptyString(jsonObject(r)?.['message_id']),
      'chat (JSON): reply is non-empty text': (r) => nonEmptyString(jsonObject(r)?.['reply']),
      'chat (JSON): has finish_reason': (r) => nonEmptyString(jsonObject(r)?.['finish_reason']),
      'chat (JSON): usage counts tokens': (r) => usageCounts(jsonObject(r)?.['usage']),
      'chat (JSON): safety let the reply through': (r) => safetyLetThrough(jsonObject(r)?.['safety']),
    },
  }),

  chatStream: (token: string, message = GREETING): Call => ({
    request: spec({ kind: 'chatStream', method: 'POST', target: '/api/v1/chat', accept: 'text/event-stream', bearer: token, json: { message }, streamed: true }),
    checks: {
      'chat (SSE): status is 200': statusIs(200),
      'chat (SSE): content type is text/event-stream': isEventStream,
      'chat (SSE): starts with meta carrying message_id': (r) => {
        const stream = readUiStream(r.body);
        return stream.events[0] === 'meta' && stream.messageId !== undefined;
      },
      'chat (SSE): streams text in delta events': (r) => {
        const stream = readUiStream(r.body);
        return stream.deltas > 0 && stream.text.length > 0;
      },
      'chat (SSE): ends with done (finish_reason, usage, safety)': (r) => {
        const stream = readUiStream(r.body);
        const done = stream.done;
        return stream.events[stream.events.length - 1] === 'done' && !!done && nonEmptyString(done['finish_reason']) && usageCounts(done['usage']) && safetyLetThrough(done['safety']);
      },
      'chat (SSE): no error event': (r) => readUiStream(r.body).error === undefined,
    },
  }),

  history: (token: string, messageId?: string): Call => ({
    request: spec({ kind: 'history', method: 'GET', target: '/api/v1/history', accept: 'application/json', bearer: token }),
    checks: {
      'history: status is 200': statusIs(200),
      'history: messages are well-formed': (r) => {
        const messages = jsonObject(r)?.['messages'];
        return (
          Array.isArray(messages) &&
          messages.every((m) => {
            const o = asObject(m);
            return !!o && nonEmptyString(o['id']) && (o['role'] === 'user' || o['role'] === 'assistant') && typeof o['content'] === 'string' && !isNaN(Date.parse(String(o['created_at'])));
          })
        );
      },
      'history: has the turn just sent': (r) => {
        const messages = jsonObject(r)?.['messages'];
        if (!Array.isArray(messages)) return false;
        const roles = messages.map((m) => asObject(m)?.['role']);
        const ids = messages.map((m) => asObject(m)?.['id']);
        return roles.indexOf('user') !== -1 && roles.indexOf('assistant') !== -1 && (messageId === undefined || ids.indexOf(messageId) !== -1);
      },
    },
  }),

  /** `enabled` is what GET /api/v1/config said: off, the gateway answers 404 feedback_disabled. */
  feedback: (token: string, messageId: string, enabled: boolean): Call => ({
    request: spec({
      kind: 'feedback',
      method: 'POST',
      target: '/api/v1/feedback',
      accept: 'application/json',
      bearer: token,
      json: { message_id: messageId, rating: 'up' },
      expect: enabled ? [202] : [404],
    }),
    checks: enabled
      ? {
          'feedback: status is 202': statusIs(202),
          'feedback: recorded for the message': (r) => {
            const body = jsonObject(r);
            return body?.['message_id'] === messageId && body['rating'] === 'up';
          },
        }
      : {
          'feedback (off): status is 404': statusIs(404),
          'feedback (off): problem feedback_disabled': (r) => isProblem(r) && jsonObject(r)?.['code'] === 'feedback_disabled',
        },
  }),

  exportSession: (token: string, sessionId: string): Call => ({
    request: spec({ kind: 'exportSession', method: 'GET', target: '/api/v1/sessions/current/export', accept: 'application/json', bearer: token }),
    checks: {
      'export: status is 200': statusIs(200),
      'export: is this session': (r) => jsonObject(r)?.['session_id'] === sessionId,
      'export: has the messages': (r) => {
        const messages = jsonObject(r)?.['messages'];
        return Array.isArray(messages) && messages.length > 0;
      },
    },
  }),

  eraseSession: (token: string): Call => ({
    request: spec({ kind: 'eraseSession', method: 'DELETE', target: '/api/v1/sessions/current', accept: 'application/json', bearer: token, expect: [204] }),
    checks: {
      'erase: status is 204': statusIs(204),
    },
  }),

  models: (apiKey: string): Call => ({
    request: spec({ kind: 'models', method: 'GET', target: '/v1/models', accept: 'application/json', bearer: apiKey }),
    checks: {
      'models: status is 200': statusIs(200),
      'models: a list of models': (r) => {
        const body = jsonObject(r);
        const data = body?.['data'];
        return body?.['object'] === 'list' && Array.isArray(data) && data.length > 0 && data.every((m) => asObject(m)?.['object'] === 'model' && nonEmptyString(asObject(m)?.['id']));
      },
    },
  }),

  model: (apiKey: string, id: string): Call => ({
    request: spec({ kind: 'model', method: 'GET', target: `/v1/models/${encodeURIComponent(id)}`, name: 'GET /v1/models/:id', accept: 'application/json', bearer: apiKey }),
    checks: {
      'model: status is 200': statusIs(200),
      'model: is the model asked for': (r) => {
        const body = jsonObject(r);
        return body?.['object'] === 'model' && body['id'] === id;
      },
    },
  }),

  completion: (apiKey: string, model: string, message = GREETING): Call => ({
    request: spec({
      kind: 'completion',
      method: 'POST',
      target: '/v1/chat/completions',
      accept: 'application/json',
      bearer: apiKey,
      json: { model, messages: [{ role: 'user', content: message }], max_tokens: 64 },
    }),
    checks: {
      'completion: status is 200': statusIs(200),
      'completion: a chat.completion with text': (r) => {
        const body = jsonObject(r);
        const choices = body?.['choices'];
        const first = Array.isArray(choices) ? asObject(choices[0]) : undefined;
        return body?.['object'] === 'chat.completion' && nonEmptyString(asObject(first?.['message'])?.['content']) && nonEmptyString(first?.['finish_reason']);
      },
      'completion: usage adds up': (r) => {
        const usage = asObject(jsonObject(r)?.['usage']);
        return !!usage && count(usage['prompt_tokens']) && count(usage['completion_tokens']) && usage['total_tokens'] === Number(usage['prompt_tokens']) + Number(usage['completion_tokens']);
      },
    },
  }),

  completionStream: (apiKey: string, model: string, message = GREETING): Call => ({
    request: spec({
      kind: 'completionStream',
      method: 'POST',
      target: '/v1/chat/completions',
      accept: 'text/event-stream',
      bearer: apiKey,
      json: { model, messages: [{ role: 'user', content: message }], max_tokens: 64, stream: true, stream_options: { include_usage: true } },
      streamed: true,
    }),
    checks: {
      'completion (stream): status is 200': statusIs(200),
      'completion (stream): content type is text/event-stream': isEventStream,
      'completion (stream): chat.completion.chunk lines with text': (r) => {
        const stream = readCompletionStream(r.body);
        return stream.wellFormed && stream.chunks > 0 && stream.text.length > 0;
      },
      'completion (stream): one finish_reason and the usage asked for': (r) => {
        const stream = readCompletionStream(r.body);
        return stream.finishReasons.length === 1 && !!stream.usage && count(stream.usage['total_tokens']);
      },
      'completion (stream): ends with [DONE], no error': (r) => {
        const stream = readCompletionStream(r.body);
        return stream.done && stream.error === undefined;
      },
    },
  }),
} satisfies Record<RequestKind, (...args: never[]) => Call>;
