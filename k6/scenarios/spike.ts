// spike: from 0 to 1,000 users in seconds, hold, drop, then check the system recovered.
//
//   k6 run k6/scenarios/spike.ts                                   # 0 -> 1,000 users in 10 s, 1 min, then recovery
//   k6 run -e SPIKE_VUS=3000 -e SPIKE_RISE=5s k6/scenarios/spike.ts
//   docker compose --profile load run --rm -e K6_SCRIPT=spike k6
//
// Two scenarios: `spike` (ramping-vus: SPIKE_RISE up to SPIKE_VUS, SPIKE_HOLD, 10 s down) and
// `recovery` (RECOVERY_VUS users for RECOVERY, starting when the spike is over). The SLO
// thresholds hold for the whole run; the recovery has its own, so a run that suffered during
// the spike but recovered says so in the summary (the recovery thresholds pass).
import type { Options } from 'k6/options';
import { durationEnv, numberEnv, rampingUsers, seconds, setupRun, SLO, sloThresholds, summaryOutputs, SUMMARY_TREND_STATS, turnMixFromEnv, userIterations, type SetupData } from '../lib/k6-parley.ts';
import type { SummaryData } from '../lib/summary.ts';

const SPIKE_VUS = numberEnv('SPIKE_VUS', 1000, { min: 1 });
const SPIKE_RISE = durationEnv('SPIKE_RISE', '10s');
const SPIKE_HOLD = durationEnv('SPIKE_HOLD', '1m');
const SPIKE_FALL = '10s';
const RECOVERY_VUS = numberEnv('RECOVERY_VUS', 50, { min: 1 });
const RECOVERY = durationEnv('RECOVERY', '2m');
const THINK_SECONDS = numberEnv('THINK_SECONDS', 9, { min: 0 });
const MIX = turnMixFromEnv({ streamShare: 0.5, openAiShare: 0.1, turnsPerSession: 5 });
// The spike's iterations may run 30 s past its end (gracefulRampDown); recovery starts after.
const RECOVERY_START = `${seconds(SPIKE_RISE) + seconds(SPIKE_HOLD) + seconds(SPIKE_FALL) + 30}s`;

export const options: Options = {
  scenarios: {
    spike: rampingUsers(SPIKE_VUS, SPIKE_RISE, SPIKE_HOLD, SPIKE_FALL),
    recovery: { executor: 'constant-vus', vus: RECOVERY_VUS, duration: RECOVERY, startTime: RECOVERY_START },
  },
  thresholds: {
    ...sloThresholds(),
    'http_req_failed{scenario:recovery}': [`rate<${SLO.failedShare}`],
    'parley_chat_turn_failed{scenario:recovery}': [`rate<${SLO.failedShare}`],
    'http_req_duration{scenario:recovery,streamed:false}': [`p(95)<${SLO.p95Ms}`],
    'parley_stream_first_byte{scenario:recovery}': [`p(95)<${SLO.ttftMs}`],
  },
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup(): SetupData {
  return setupRun({ requireApiKey: false });
}

export default userIterations(MIX, THINK_SECONDS);

export function handleSummary(data: SummaryData): Record<string, string> {
  return summaryOutputs(data, 'spike', [`Recovery: ${RECOVERY_VUS} users for ${RECOVERY} from ${RECOVERY_START} on; its thresholds carry {scenario:recovery}.`]);
}
