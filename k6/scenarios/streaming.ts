// streaming: streamed turns only, for time to first token and full-reply time over SSE.
//
//   k6 run k6/scenarios/streaming.ts                               # 5 streamed turns/s for 5 min
//   k6 run -e RATE=20 -e API_KEY=pk_... k6/scenarios/streaming.ts  # half of them on the OpenAI API
//   docker compose --profile load run --rm -e K6_SCRIPT=streaming k6
//
// k6's http module returns whole bodies, so k6 cannot time the first `delta` event. It records
// what it can measure honestly (lib/k6-parley.ts, metrics):
//   parley_stream_first_byte  time to the answer's first byte. Parley sends the SSE headers once
//                             the input is checked and the model's first chunk has arrived
//                             (chat-service waits for it, to retry or fall back before the first
//                             byte); the first text follows after the first output safety window.
//                             So it is a lower bound of the TTFT k6 sees: over 2.56 s at p95, users
//                             where k6 stands waited longer than the SLO allows; under it, read
//                             the server's figure.
//   parley_full_reply_time    time until the stream's last byte: an upper bound of TTFT.
// The TTFT SLO itself is chat-service's parley_chat_time_to_first_text_seconds; the summary
// prints its PromQL over the run. test/e2e/k6-contract.test.ts checks the ordering above.
import type { Options } from 'k6/options';
import { constantArrivalRate, durationEnv, numberEnv, setupRun, sloThresholds, summaryOutputs, SUMMARY_TREND_STATS, turnMixFromEnv, userIterations, type SetupData } from '../lib/k6-parley.ts';
import type { SummaryData } from '../lib/summary.ts';

const RATE = numberEnv('RATE', 5, { min: 0.01 });
const DURATION = durationEnv('DURATION', '5m');
const MIX = { ...turnMixFromEnv({ streamShare: 1, openAiShare: 0.5, turnsPerSession: 5 }), streamShare: 1 };

export const options: Options = {
  scenarios: {
    streaming: constantArrivalRate(RATE, DURATION),
  },
  thresholds: sloThresholds(),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup(): SetupData {
  return setupRun({ requireApiKey: false });
}

export default userIterations(MIX);

export function handleSummary(data: SummaryData): Record<string, string> {
  return summaryOutputs(data, 'streaming');
}
