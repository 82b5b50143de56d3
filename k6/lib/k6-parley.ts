/**
 * What the scenarios share: configuration from the environment, sending a contract call with
 * k6/http and recording its checks, the SLO thresholds, the custom metrics, a simulated
 * user's chat turn and the end-of-test summary. The only module that imports k6/http: every
 * request is a `Call` from ./contract.ts, which the contract test sends against the real stack.
 */
import { check, fail, sleep } from 'k6';
import http from 'k6/http';
import { Counter, Rate, Trend } from 'k6/metrics';
import type { ConstantArrivalRateScenario, Options, RampingVUsScenario } from 'k6/options';
import { calls, describeFailure, read, turnFailed, type Call, type Reply, urlOf } from './contract.ts';
import { summaryText, type SummaryData } from './summary.ts';

// --- configuration --------------------------------------------------------------------------------

/** An environment variable (`k6 run -e NAME=value` or the process environment); empty counts as unset. */
export function env(name: string): string | undefined {
  const value = __ENV[name];
  return value === undefined || value === '' ? undefined : value;
}

/** A number from the environment, validated at start so a typo fails the run before any load. */
export function numberEnv(name: string, fallback: number, range: { min: number; max?: number }): number {
  const raw = env(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!isFinite(value) || value < range.min || (range.max !== undefined && value > range.max)) {
    throw new Error(`${name}=${raw}: expected a number from ${range.min}${range.max !== undefined ? ` to ${range.max}` : ''}`);
  }
  return value;
}

const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

/** A k6 duration (`90s`, `5m`, `1h30m`) from the environment, validated at start. */
export function durationEnv(name: string, fallback: string): string {
  const value = env(name) ?? fallback;
  if (!DURATION.test(value)) throw new Error(`${name}=${value}: expected a duration such as 90s, 5m or 1h30m`);
  return value;
}

/** Seconds in a k6 duration string. */
export function seconds(duration: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  let total = 0;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  for (let match = part.exec(duration); match !== null; match = part.exec(duration)) total += Number(match[1]) * (units[match[2] ?? 's'] ?? 1);
  return total;
}

export const BASE_URL = (env('BASE_URL') ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
/** An API key (role user) for the OpenAI-compatible routes: POST /api/v1/admin/keys with the admin key. */
export const API_KEY = env('API_KEY');

// --- SLOs and metrics -------------------------------------------------------------------------------

/** The seed SLOs: availability 99.9%, p95 under 2 s, 95% of streamed turns' first token within 2.56 s. */
export const SLO = { failedShare: 0.001, p95Ms: 2000, ttftMs: 2560 } as const;

/**
 * The SLOs as k6 thresholds. With `abortAfter`, the run stops when one breaks (stress: the
 * knee), judged only after that long into the run so a slow start does not end it.
 * - http_req_failed: any request with an unexpected status (k6's view is stricter than the
 *   server SLI, which counts only 5xx on the chat routes: a 429 here is a failed request too).
 * - parley_chat_turn_failed: chat turns that failed as their user saw it, streams that ended
 *   with an `error` event included (their status is 200).
 * - p95 under 2 s for every request that does not stream; streams are judged by their first byte.
 * - parley_stream_first_byte: a lower bound of the time to first token k6 sees (README, summary.ts).
 */
export function sloThresholds(abortAfter?: string): NonNullable<Options['thresholds']> {
  const slo = (threshold: string) => (abortAfter ? { threshold, abortOnFail: true, delayAbortEval: abortAfter } : threshold);
  return {
    http_req_failed: [slo(`rate<${SLO.failedShare}`)],
    parley_chat_turn_failed: [slo(`rate<${SLO.failedShare}`)],
    'http_req_duration{streamed:false}': [slo(`p(95)<${SLO.p95Ms}`)],
    parley_stream_first_byte: [slo(`p(95)<${SLO.ttftMs}`)],
    checks: [`rate>${1 - SLO.failedShare}`],
  };
}

/** Trend stats in the printed summary (Prometheus gets K6_PROMETHEUS_RW_TREND_STATS). */
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'];

/**
 * Custom metrics; in Prometheus (remote write) as k6_parley_stream_first_byte_p95 (seconds),
 * k6_parley_full_reply_time_p95, k6_parley_chat_turns_total, k6_parley_chat_turn_failed_rate.
 */
export const metrics = {
  /** Streamed turns: time to the first byte of the answer (k6's timings.waiting), a lower bound of the TTFT k6 sees. */
  streamFirstByte: new Trend('parley_stream_first_byte', true),
  /** Streamed turns: time until the stream's last byte (the `done` event or [DONE]). */
  fullReplyTime: new Trend('parley_full_reply_time', true),
  chatTurns: new Counter('parley_chat_turns'),
  chatTurnFailed: new Rate('parley_chat_turn_failed'),
};

// --- sending --------------------------------------------------------------------------------------

export interface Sent {
  reply: Reply;
  /** Every check passed. */
  ok: boolean;
  /** Time to the first byte of the answer (headers), in ms. */
  waitingMs: number;
  durationMs: number;
}

// Created once per status set, as k6 recommends for per-request callbacks.
const expected: Record<string, ReturnType<typeof http.expectedStatuses>> = {};

/** Sends a contract call, records its checks, logs a failure with its trace id (never tokens or text). */
export function send(call: Call, tags: Record<string, string> = {}): Sent {
  const { request } = call;
  const key = request.expect.join(',');
  const callback = expected[key] ?? (expected[key] = http.expectedStatuses(...request.expect));
  const res = http.request(request.method, urlOf(BASE_URL, request), request.body, {
    headers: request.headers,
    tags: { name: request.name, kind: request.kind, streamed: String(request.streamed), ...tags },
    timeout: `${request.timeoutSeconds}s`,
    responseCallback: callback,
  });
  const headers: Record<string, string> = {};
  for (const name of Object.keys(res.headers)) headers[name.toLowerCase()] = res.headers[name] ?? '';
  const reply: Reply = { status: res.status, headers, body: typeof res.body === 'string' ? res.body : '' };
  const ok = check(reply, call.checks, { kind: request.kind });
  if (!ok) console.error(`${describeFailure(request, reply)}${res.error ? ` (${res.error})` : ''}`);
  return { reply, ok, waitingMs: res.timings.waiting, durationMs: res.timings.duration };
}

/** Records a chat turn's outcome and, for a stream that answered, its timings. */
export function recordTurn(call: Call, sent: Sent, api: 'ui' | 'openai'): void {
  const tags = { api, streamed: String(call.request.streamed) };
  metrics.chatTurns.add(1, tags);
  metrics.chatTurnFailed.add(turnFailed(call.request, sent.reply), tags);
  if (call.request.streamed && sent.reply.status === 200) {
    metrics.streamFirstByte.add(sent.waitingMs, { api });
    metrics.fullReplyTime.add(sent.durationMs, { api });
  }
}

// --- setup and users ------------------------------------------------------------------------------

export interface SetupData {
  /** The model for the OpenAI-compatible routes, when API_KEY is set. */
  model: string | null;
}

/** Fails the run before any load when the gateway is not ready, or API_KEY is set but refused. */
export function setupRun(options: { requireApiKey: boolean }): SetupData {
  const ready = send(calls.readyz());
  if (!ready.ok) fail(`${BASE_URL} is not ready (GET /readyz answered ${ready.reply.status}); start the stack or fix BASE_URL`);
  if (API_KEY === undefined) {
    if (options.requireApiKey) fail('API_KEY is not set: this scenario calls the OpenAI-compatible API (see README, "Load testing with k6")');
    return { model: null };
  }
  const models = send(calls.models(API_KEY));
  const model = env('MODEL') ?? read.modelIds(models.reply)[0];
  if (!models.ok || model === undefined) fail(`GET /v1/models with API_KEY answered ${models.reply.status}: is it a valid key of role user?`);
  return { model };
}

export interface TurnMix {
  /** Share of UI turns streamed over SSE (the rest JSON). */
  streamShare: number;
  /** Share of turns sent to the OpenAI-compatible API instead (needs API_KEY). */
  openAiShare: number;
  /** Turns per session before the user leaves and a new one starts (reading the history back). */
  turnsPerSession: number;
}

export function turnMixFromEnv(defaults: TurnMix): TurnMix {
  return {
    streamShare: numberEnv('STREAM_SHARE', defaults.streamShare, { min: 0, max: 1 }),
    openAiShare: API_KEY === undefined ? 0 : numberEnv('OPENAI_SHARE', defaults.openAiShare, { min: 0, max: 1 }),
    turnsPerSession: numberEnv('TURNS_PER_SESSION', defaults.turnsPerSession, { min: 1 }),
  };
}

// Module state is per VU (each VU has its own copy): the VU's current visitor.
let visitor: { token: string; turns: number } | undefined;

/**
 * One chat turn of a simulated user: a session when the VU has none (or its visit is over,
 * then the history is read back first, as a reload would), then one message, streamed or not,
 * or a completion on the OpenAI-compatible API.
 */
function userTurn(mix: TurnMix, data: SetupData): void {
  if (data.model !== null && API_KEY !== undefined && Math.random() < mix.openAiShare) {
    const call = Math.random() < mix.streamShare ? calls.completionStream(API_KEY, data.model) : calls.completion(API_KEY, data.model);
    recordTurn(call, send(call, { api: 'openai' }), 'openai');
    return;
  }
  if (visitor && visitor.turns >= mix.turnsPerSession) {
    send(calls.history(visitor.token));
    visitor = undefined;
  }
  if (!visitor) {
    const session = read.session(send(calls.createSession()).reply);
    if (!session) return;
    visitor = { token: session.token, turns: 0 };
  }
  const call = Math.random() < mix.streamShare ? calls.chatStream(visitor.token) : calls.chatJson(visitor.token);
  const sent = send(call, { api: 'ui' });
  recordTurn(call, sent, 'ui');
  visitor.turns++;
  // Expired or revoked: the next turn starts a new visit.
  if (sent.reply.status === 401) visitor = undefined;
}

/**
 * A scenario's default function: one user turn, then think time, uniform between half and one
 * and a half times `thinkSeconds` (none in the open-model scenarios: the arrival rate paces them).
 */
export function userIterations(mix: TurnMix, thinkSeconds = 0): (data: SetupData) => void {
  return (data) => {
    userTurn(mix, data);
    if (thinkSeconds > 0) sleep(thinkSeconds * (0.5 + Math.random()));
  };
}

/** Up to `vus` users in `rise`, held for `hold`, down to none in `fall`; a started turn may finish within 30 s. */
export function rampingUsers(vus: number, rise: string, hold: string, fall: string): RampingVUsScenario {
  return {
    executor: 'ramping-vus',
    startVUs: 0,
    stages: [
      { duration: rise, target: vus },
      { duration: hold, target: vus },
      { duration: fall, target: 0 },
    ],
    gracefulRampDown: '30s',
  };
}

/** `rate` iterations per second for `duration`, with VUs for turns of a few seconds (more as the system slows). */
export function constantArrivalRate(rate: number, duration: string): ConstantArrivalRateScenario {
  return {
    executor: 'constant-arrival-rate',
    rate,
    timeUnit: '1s',
    duration,
    preAllocatedVUs: Math.max(5, Math.ceil(rate * 3)),
    maxVUs: Math.max(20, Math.ceil(rate * 20)),
  };
}

// --- summary --------------------------------------------------------------------------------------

/** handleSummary's outputs: the text summary on stdout, and the raw data at SUMMARY_JSON when set. */
export function summaryOutputs(data: SummaryData, scenario: string, notes: string[] = []): Record<string, string> {
  const outputs: Record<string, string> = { stdout: summaryText(data, { scenario, baseUrl: BASE_URL, notes }) };
  const json = env('SUMMARY_JSON');
  if (json !== undefined) outputs[json] = JSON.stringify(data, null, 2);
  return outputs;
}
