// Grafana k6 load run for the compose stack: a steady arrival rate of chat conversations.
//
//   docker compose --profile load run --rm k6                                # 1 conversation/s for 5 min
//   docker compose --profile load run --rm -e RATE=2 -e DURATION=10m k6
//   k6 run -e BASE_URL=http://127.0.0.1:8080 k6/load.js                      # without compose
//
// Each iteration: create a session, one chat turn (every other one streamed over SSE, the
// rest JSON), read the history back. With compose, results go to Prometheus by remote write
// (k6_* series; see docker-compose.yml) and show on the load dashboard next to the services'
// own metrics. Fails (non-zero exit) when a threshold is crossed.
//
// Every request comes from one address: the gateway allows 300 requests per minute and IP by
// default (an iteration is 3 requests, so RATE=1 is 180). For more, set
// RATE_LIMIT_IP_PER_MINUTE in the shell when starting the stack. Logs status codes and trace
// ids, never tokens or message text. A full load-test suite is a later issue; this is the
// compose-runnable baseline.

import http from 'k6/http';
import { check, fail } from 'k6';

const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const RATE = Number(__ENV.RATE || 1);
const DURATION = __ENV.DURATION || '5m';

export const options = {
  scenarios: {
    conversations: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: DURATION,
      // A turn with the simulator takes a few seconds: enough VUs to keep the rate.
      preAllocatedVUs: Math.max(5, Math.ceil(RATE * 10)),
      maxVUs: Math.max(20, Math.ceil(RATE * 40)),
    },
  },
  thresholds: {
    checks: ['rate>0.99'],
    http_req_failed: ['rate<0.01'],
    'http_req_duration{name:POST /api/v1/sessions}': ['p(95)<1000'],
    // Includes the LLM round trip (the simulator by default); a stream lasts until its end.
    'http_req_duration{name:POST /api/v1/chat}': ['p(95)<15000'],
    'http_req_duration{name:GET /api/v1/history}': ['p(95)<1000'],
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
  const res = http.get(`${BASE_URL}/readyz`, { tags: { name: 'GET /readyz' } });
  if (res.status !== 200) {
    fail(`${BASE_URL} is not ready (GET /readyz answered ${res.status}); start the stack first`);
  }
}

export default function () {
  const session = http.post(`${BASE_URL}/api/v1/sessions`, JSON.stringify({ language: 'en' }), {
    headers: JSON_HEADERS,
    tags: { name: 'POST /api/v1/sessions' },
  });
  const token = (parse(session) || {}).token;
  if (!check(session, { 'session: 201 with a token': (r) => r.status === 201 && typeof token === 'string' })) {
    console.error(describe('POST /api/v1/sessions', session));
    return;
  }
  const auth = { ...JSON_HEADERS, Authorization: `Bearer ${token}` };

  // Every other iteration streams: both paths feed the SLOs (availability, time to first token).
  const streamed = __ITER % 2 === 1;
  const chat = http.post(`${BASE_URL}/api/v1/chat`, JSON.stringify({ message: 'Hello! Please reply with a short greeting.' }), {
    headers: streamed ? { ...auth, Accept: 'text/event-stream' } : auth,
    tags: { name: 'POST /api/v1/chat', streamed: String(streamed) },
    timeout: '60s',
  });
  const ok = streamed
    ? check(chat, {
        'chat (SSE): 200 event stream': (r) => r.status === 200 && String(r.headers['Content-Type'] || '').startsWith('text/event-stream'),
        // A stream that fails after its first byte still answers 200 and ends with an error event.
        'chat (SSE): ends with done, no error event': (r) => /(^|\n)event: done\n/.test(r.body || '') && !/(^|\n)event: error\n/.test(r.body || ''),
      })
    : check(chat, {
        'chat (JSON): 200 with a reply': (r) => r.status === 200 && typeof (parse(r) || {}).reply === 'string',
      });
  if (!ok) console.error(describe('POST /api/v1/chat', chat));

  const history = http.get(`${BASE_URL}/api/v1/history`, { headers: auth, tags: { name: 'GET /api/v1/history' } });
  const messages = (parse(history) || {}).messages;
  if (!check(history, { 'history: 200 with the turn': (r) => r.status === 200 && Array.isArray(messages) && messages.length >= 2 })) {
    console.error(describe('GET /api/v1/history', history));
  }
}
