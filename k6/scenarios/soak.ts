// soak: a long steady load, watching the services' memory.
//
//   k6 run k6/scenarios/soak.ts                                    # 50 chat turns/s for 2 h
//   k6 run -e RATE=20 -e DURATION=8h -e METRICS_URLS=http://gateway:8080/metrics k6/scenarios/soak.ts
//   docker compose --profile load run --rm -e K6_SCRIPT=soak k6    # compose sets METRICS_URLS
//
// Two scenarios: `soak` (constant-arrival-rate: RATE chat turns/s for DURATION) and, with
// METRICS_URLS (comma-separated /metrics URLs of the services, e.g. inside the compose network),
// `memory`: after WARMUP it reads each service's process_resident_memory_bytes every
// MEMORY_EVERY, the first reading as the baseline. parley_memory_growth is the largest
// current/baseline ratio; its threshold (MEMORY_GROWTH_MAX, 1.5) fails a run that keeps
// growing. Without METRICS_URLS, watch memory in Grafana (the query is in the summary).
// A long run spends the daily cost budget: see COST_BUDGET_USD_PER_DAY in the README.
import { Gauge } from 'k6/metrics';
import type { Options } from 'k6/options';
import { calls, read } from '../lib/contract.ts';
import { constantArrivalRate, durationEnv, env, numberEnv, seconds, send, setupRun, sloThresholds, summaryOutputs, SUMMARY_TREND_STATS, turnMixFromEnv, userIterations, type SetupData } from '../lib/k6-parley.ts';
import type { SummaryData } from '../lib/summary.ts';

const RATE = numberEnv('RATE', 50, { min: 0.01 });
const DURATION = durationEnv('DURATION', '2h');
const WARMUP = durationEnv('WARMUP', '5m');
const MEMORY_EVERY = durationEnv('MEMORY_EVERY', '1m');
const MEMORY_GROWTH_MAX = numberEnv('MEMORY_GROWTH_MAX', 1.5, { min: 1 });
const METRICS_URLS = (env('METRICS_URLS') ?? '')
  .split(',')
  .map((u) => u.trim())
  .filter((u) => u !== '');
const MIX = turnMixFromEnv({ streamShare: 0.5, openAiShare: 0.1, turnsPerSession: 5 });

if (METRICS_URLS.length > 0 && seconds(WARMUP) >= seconds(DURATION)) throw new Error(`WARMUP (${WARMUP}) must be shorter than DURATION (${DURATION})`);

/** k6_parley_server_memory_bytes{service} in Prometheus: the resident memory k6 read. */
const serverMemory = new Gauge('parley_server_memory_bytes');
/** k6_parley_memory_growth: the largest current/baseline ratio over the services. */
const memoryGrowth = new Gauge('parley_memory_growth');

export const options: Options = {
  scenarios: {
    soak: constantArrivalRate(RATE, DURATION),
    ...(METRICS_URLS.length > 0
      ? {
          memory: {
            executor: 'constant-arrival-rate' as const,
            exec: 'watchMemory',
            rate: 1,
            timeUnit: MEMORY_EVERY,
            startTime: WARMUP,
            duration: `${seconds(DURATION) - seconds(WARMUP)}s`,
            preAllocatedVUs: 1,
            maxVUs: 1,
          },
        }
      : {}),
  },
  thresholds: { ...sloThresholds(), ...(METRICS_URLS.length > 0 ? { parley_memory_growth: [`value<${MEMORY_GROWTH_MAX}`] } : {}) },
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup(): SetupData {
  return setupRun({ requireApiKey: false });
}

export default userIterations(MIX);

// The memory scenario runs on one VU, so this state spans the whole run.
const baseline: Record<string, number> = {};

export function watchMemory(): void {
  let growth = 1;
  for (const url of METRICS_URLS) {
    const service = /^https?:\/\/([^/:]+)/.exec(url)?.[1] ?? url;
    const bytes = read.residentMemoryBytes(send(calls.metrics(url)).reply);
    if (bytes === undefined) continue;
    serverMemory.add(bytes, { service });
    const first = baseline[url] ?? (baseline[url] = bytes);
    growth = Math.max(growth, bytes / first);
  }
  memoryGrowth.add(growth);
}

export function handleSummary(data: SummaryData): Record<string, string> {
  const growth = data.metrics['parley_memory_growth']?.values['value'];
  const note =
    METRICS_URLS.length === 0
      ? 'Memory was not watched by k6 (METRICS_URLS unset): read it in Grafana with the memory query above.'
      : `Memory: largest growth of resident memory since the end of the warm-up: ${growth === undefined ? 'n/a' : `${growth.toFixed(2)}x`} (threshold ${MEMORY_GROWTH_MAX}x).`;
  return summaryOutputs(data, 'soak', [note]);
}
