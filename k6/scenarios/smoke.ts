// smoke: one user, every route once, the OpenAI-compatible API included.
//
//   k6 run -e API_KEY=pk_... k6/scenarios/smoke.ts                                  # http://127.0.0.1:8080
//   k6 run -e BASE_URL=https://parley.example.com -e API_KEY=pk_... k6/scenarios/smoke.ts
//
// Liveness and readiness, the public config, the web UI and the widget, a session, a chat turn
// as JSON and one streamed, the history, feedback (202, or 404 when the config says it is off),
// the export, the models, a completion with and without streaming, and the erasure last. With
// METRICS_URLS (comma-separated /metrics URLs of the services) it reads those too. Any failed
// check fails the run.
import type { Options } from 'k6/options';
import { calls, read } from '../lib/contract.ts';
import { API_KEY, env, recordTurn, send, setupRun, sloThresholds, summaryOutputs, SUMMARY_TREND_STATS, type SetupData } from '../lib/k6-parley.ts';
import type { SummaryData } from '../lib/summary.ts';

export const options: Options = {
  scenarios: { smoke: { executor: 'shared-iterations', vus: 1, iterations: 1, maxDuration: '2m' } },
  thresholds: { ...sloThresholds(), checks: ['rate==1'], http_req_failed: ['rate==0'], parley_chat_turn_failed: ['rate==0'] },
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup(): SetupData {
  return setupRun({ requireApiKey: true });
}

export default function (data: SetupData): void {
  send(calls.livez());
  send(calls.readyz());
  for (const url of (env('METRICS_URLS') ?? '').split(',').filter((u) => u.trim() !== '')) send(calls.metrics(url.trim()));
  const feedbackEnabled = read.feedbackEnabled(send(calls.config()).reply) ?? false;
  send(calls.webPage());
  send(calls.widget());

  const session = read.session(send(calls.createSession()).reply);
  if (session) {
    const json = calls.chatJson(session.token);
    const jsonSent = send(json, { api: 'ui' });
    recordTurn(json, jsonSent, 'ui');
    const stream = calls.chatStream(session.token);
    const streamSent = send(stream, { api: 'ui' });
    recordTurn(stream, streamSent, 'ui');
    const messageId = read.messageId(streamSent.reply);
    send(calls.history(session.token, messageId));
    const rated = read.messageId(jsonSent.reply);
    if (rated !== undefined) send(calls.feedback(session.token, rated, feedbackEnabled));
    send(calls.exportSession(session.token, session.sessionId));
  }

  if (API_KEY !== undefined && data.model !== null) {
    send(calls.models(API_KEY));
    send(calls.model(API_KEY, data.model));
    const completion = calls.completion(API_KEY, data.model);
    recordTurn(completion, send(completion, { api: 'openai' }), 'openai');
    const completionStream = calls.completionStream(API_KEY, data.model);
    recordTurn(completionStream, send(completionStream, { api: 'openai' }), 'openai');
  }

  // Last: the session is gone afterwards.
  if (session) send(calls.eraseSession(session.token));
}

export function handleSummary(data: SummaryData): Record<string, string> {
  return summaryOutputs(data, 'smoke');
}
