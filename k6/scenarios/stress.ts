// stress: raise the arrival rate step by step until an SLO breaks, to find the knee.
//
//   k6 run k6/scenarios/stress.ts                                  # 20, 40, ... 400 chat turns/s, 2 min each
//   k6 run -e START_RATE=50 -e STEP=25 -e MAX_RATE=1000 -e STEP_DURATION=3m k6/scenarios/stress.ts
//   docker compose --profile load run --rm -e K6_SCRIPT=stress k6
//
// An open model (ramping-arrival-rate): new turns arrive at the target rate whether or not the
// earlier ones were answered, so a slow system shows as latency and errors, not as a politely
// lower rate. Each step ramps for 30 s, then holds STEP_DURATION. Every threshold aborts the run
// once it breaks (not judged in the first ABORT_AFTER), and the summary names the rate reached: the
// knee lies in the last step. The load dashboard shows where latency bent first.
import type { Options, Stage } from 'k6/options';
import { durationEnv, numberEnv, seconds, setupRun, sloThresholds, summaryOutputs, SUMMARY_TREND_STATS, turnMixFromEnv, userIterations, type SetupData } from '../lib/k6-parley.ts';
import type { SummaryData } from '../lib/summary.ts';

const START_RATE = numberEnv('START_RATE', 20, { min: 1 });
const STEP = numberEnv('STEP', 20, { min: 1 });
const MAX_RATE = numberEnv('MAX_RATE', 400, { min: START_RATE });
const STEP_DURATION = durationEnv('STEP_DURATION', '2m');
const ABORT_AFTER = durationEnv('ABORT_AFTER', '1m');
const MAX_VUS = numberEnv('MAX_VUS', 3000, { min: 1 });
const MIX = turnMixFromEnv({ streamShare: 0.5, openAiShare: 0.1, turnsPerSession: 5 });
const STEP_RAMP = '30s';

const stages: Stage[] = [];
for (let rate = START_RATE; rate <= MAX_RATE; rate += STEP) {
  stages.push({ duration: STEP_RAMP, target: rate }, { duration: STEP_DURATION, target: rate });
}

export const options: Options = {
  scenarios: {
    stress: {
      executor: 'ramping-arrival-rate',
      startRate: 0,
      timeUnit: '1s',
      stages,
      // A turn takes about a second at first, longer as the system saturates.
      preAllocatedVUs: Math.min(MAX_VUS, Math.ceil(START_RATE * 3)),
      maxVUs: MAX_VUS,
    },
  },
  thresholds: sloThresholds(ABORT_AFTER),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup(): SetupData {
  return setupRun({ requireApiKey: false });
}

export default userIterations(MIX);

/** The arrival rate the plan had reached after `elapsed` seconds (ramps are linear). */
function rateAt(elapsed: number): number {
  let t = 0;
  let rate = 0;
  for (const stage of stages) {
    const length = seconds(stage.duration);
    if (elapsed < t + length) return rate + ((stage.target - rate) * (elapsed - t)) / length;
    t += length;
    rate = stage.target;
  }
  return rate;
}

export function handleSummary(data: SummaryData): Record<string, string> {
  const failed = Object.values(data.metrics).some((m) => Object.values(m?.thresholds ?? {}).some((t) => !t.ok));
  // The run's duration includes setup and the graceful stop: a few seconds past the abort.
  const reached = Math.round(rateAt((data.state?.testRunDurationMs ?? 0) / 1000));
  const note = failed
    ? `An SLO broke at about ${reached} chat turns/s (the target rate when the run stopped): the knee is below that, in the last step. Find where latency bent on the load dashboard.`
    : `No SLO broke up to ${MAX_RATE} chat turns/s (peak rate reached: about ${reached}/s); raise MAX_RATE to find the knee.`;
  return summaryOutputs(data, 'stress', [note]);
}
