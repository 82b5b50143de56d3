// Grafana k6 smoke test: one user walks the main UI path end to end.
//
//   k6 run k6/smoke.js                                   # against http://127.0.0.1:8080
//   k6 run -e BASE_URL=https://parley.example.com k6/smoke.js
//
// Per iteration: create a session, send one chat message (JSON, not streamed)
// with the session token, read the history back. Fails (non-zero exit) when any
// check fails or a threshold is crossed. Logs status codes and trace ids, never
// tokens or message text.

import http from 'k6/http';
import { check, fail, group, sleep } from 'k6';

const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');

export const options = {
  vus: 1,
  iterations: 3,
  thresholds: {
    checks: ['rate==1'],
    http_req_failed: ['rate==0'],
    'http_req_duration{endpoint:sessions}': ['p(95)<1000'],
    // Includes the LLM round trip (the simulator by default).
    'http_req_duration{endpoint:chat}': ['p(95)<15000'],
    'http_req_duration{endpoint:history}': ['p(95)<1000'],
  },
};

const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' };

function parse(res) {
  try {
    return res.json();
  } catch (e) {
    return undefined;
  }
}

// Problem details carry trace_id: print it so a failure can be found in Tempo.
function describe(name, res) {
  const body = parse(res);
  const traceId = body && (body.trace_id || (body.error && body.error.trace_id));
  return `${name}: HTTP ${res.status}${traceId ? ` trace_id=${traceId}` : ''}${body && body.code ? ` code=${body.code}` : ''}`;
}

export function setup() {
  const res = http.get(`${BASE_URL}/readyz`, { tags: { endpoint: 'readyz' } });
  if (res.status !== 200) {
    fail(`${BASE_URL} is not ready (GET /readyz answered ${res.status}); start the stack first`);
  }
}

export default function () {
  let token;

  group('create session', () => {
    const res = http.post(`${BASE_URL}/api/v1/sessions`, JSON.stringify({ language: 'en' }), {
      headers: JSON_HEADERS,
      tags: { endpoint: 'sessions' },
    });
    const body = parse(res);
    const ok = check(res, {
      'session: status is 201': (r) => r.status === 201,
      'session: has session_id': () => typeof (body && body.session_id) === 'string' && body.session_id.length > 0,
      'session: has token': () => typeof (body && body.token) === 'string' && body.token.length > 0,
      'session: expires_at is a future date': () => !!body && Date.parse(body.expires_at) > Date.now(),
    });
    if (!ok) console.error(describe('POST /api/v1/sessions', res));
    token = body && body.token;
  });

  if (!token) {
    fail('no session token; cannot continue this iteration');
  }
  const auth = { ...JSON_HEADERS, Authorization: `Bearer ${token}` };

  let messageId;
  group('chat (JSON)', () => {
    const res = http.post(`${BASE_URL}/api/v1/chat`, JSON.stringify({ message: 'Hello! Please reply with a short greeting.' }), {
      headers: auth,
      tags: { endpoint: 'chat' },
      timeout: '60s',
    });
    const body = parse(res);
    const ok = check(res, {
      'chat: status is 200': (r) => r.status === 200,
      'chat: content type is JSON': (r) => String(r.headers['Content-Type'] || '').startsWith('application/json'),
      'chat: has message_id': () => typeof (body && body.message_id) === 'string' && body.message_id.length > 0,
      'chat: reply is non-empty text': () => typeof (body && body.reply) === 'string' && body.reply.length > 0,
      'chat: has finish_reason': () => typeof (body && body.finish_reason) === 'string',
      'chat: usage counts tokens': () =>
        !!body && !!body.usage && Number.isInteger(body.usage.input_tokens) && Number.isInteger(body.usage.output_tokens),
      // A greeting must not be blocked; a redaction is a policy matter, not a failure here.
      'chat: safety let the reply through': () =>
        !!body && !!body.safety && ['allow', 'redact'].includes(body.safety.action),
    });
    if (!ok) console.error(describe('POST /api/v1/chat', res));
    messageId = body && body.message_id;
  });

  group('history', () => {
    const res = http.get(`${BASE_URL}/api/v1/history`, { headers: auth, tags: { endpoint: 'history' } });
    const body = parse(res);
    const messages = body && Array.isArray(body.messages) ? body.messages : [];
    const ok = check(res, {
      'history: status is 200': (r) => r.status === 200,
      'history: has the user message and the reply': () =>
        messages.some((m) => m.role === 'user') && messages.some((m) => m.role === 'assistant'),
      'history: includes the reply just sent': () => !messageId || messages.some((m) => m.id === messageId),
      'history: messages are well-formed': () =>
        messages.length > 0 &&
        messages.every((m) => typeof m.id === 'string' && typeof m.content === 'string' && !Number.isNaN(Date.parse(m.created_at))),
    });
    if (!ok) console.error(describe('GET /api/v1/history', res));
  });

  sleep(1);
}
