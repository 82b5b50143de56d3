// load: ramp to the seed figures and hold them. 1,000 users (VUS), each sending a message about
// every 10 s (a turn of ~1 s with the simulator plus THINK_SECONDS), is 100 chat turns per second.
//
//   k6 run k6/scenarios/load.ts
//   k6 run -e BASE_URL=https://parley.example.com -e VUS=200 -e DURATION=30m k6/scenarios/load.ts
//   docker compose --profile load run --rm k6                      # K6_SCRIPT=load is the default
//
// A VU is a user: it opens a session, sends TURNS_PER_SESSION messages (STREAM_SHARE of them
// streamed), reads its history back and starts over. With API_KEY, OPENAI_SHARE of the turns go
// to the OpenAI-compatible API. Thresholds are the SLOs (lib/k6-parley.ts). One address sends
// everything: raise the gateway's RATE_LIMIT_IP_PER_MINUTE (see README).
import type { Options } from 'k6/options';
import { durationEnv, numberEnv, rampingUsers, setupRun, sloThresholds, summaryOutputs, SUMMARY_TREND_STATS, turnMixFromEnv, userIterations, type SetupData } from '../lib/k6-parley.ts';
import type { SummaryData } from '../lib/summary.ts';

const VUS = numberEnv('VUS', 1000, { min: 1 });
const RAMP = durationEnv('RAMP', '5m');
const DURATION = durationEnv('DURATION', '10m');
const THINK_SECONDS = numberEnv('THINK_SECONDS', 9, { min: 0 });
const MIX = turnMixFromEnv({ streamShare: 0.5, openAiShare: 0.1, turnsPerSession: 5 });

export const options: Options = {
  scenarios: {
    load: rampingUsers(VUS, RAMP, DURATION, '1m'),
  },
  thresholds: sloThresholds(),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup(): SetupData {
  return setupRun({ requireApiKey: false });
}

export default userIterations(MIX, THINK_SECONDS);

export function handleSummary(data: SummaryData): Record<string, string> {
  const turnsPerSecond = data.metrics['parley_chat_turns']?.values['rate'] ?? 0;
  const peak = data.metrics['vus']?.values['max'] ?? 0;
  return summaryOutputs(data, 'load', [
    `Seed figures: 1,000 concurrent users and 100 chat turns/s. This run: peak ${peak} VUs, ${turnsPerSecond.toFixed(1)} chat turns/s over the whole run (ramps included).`,
  ]);
}
