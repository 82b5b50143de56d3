/**
 * The end-of-test summary every scenario prints (k6's handleSummary): the SLO thresholds, the
 * streamed-turn timings and the server-side figures k6 cannot see, as PromQL over the run.
 *
 * No imports: test/e2e/k6-contract.test.ts renders it and checks that the server series it
 * names exist on the real services.
 */

/** The parts of k6's summary data this reads (k6 passes more). */
export interface SummaryData {
  metrics: Record<string, SummaryMetric | undefined>;
  state?: { testRunDurationMs?: number };
}

export interface SummaryMetric {
  type: string;
  /** `time` for durations in milliseconds. */
  contains?: string;
  values: Record<string, number | undefined>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface SummaryContext {
  scenario: string;
  baseUrl: string;
  /** Extra lines (a scenario's own findings, e.g. where stress stopped). */
  notes?: string[];
}

/**
 * Server-side series the summary points at. The gateway exposes its overhead only as a
 * histogram (no per-response header), and chat-service measures the real time to first text.
 */
export const SERVER_SERIES = {
  gatewayOverhead: 'gateway_request_overhead_seconds',
  timeToFirstText: 'parley_chat_time_to_first_text_seconds',
  residentMemory: 'process_resident_memory_bytes',
} as const;

/** The TTFT SLO's bucket boundary (deploy/prometheus/rules/parley-slo.yml). */
export const TTFT_SLO_SECONDS = 2.56;

function duration(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

function span(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s % 60}s`;
}

/** The value a threshold expression reads: `p(95)<2000` reads p(95), `rate<0.001` reads rate. */
function thresholdValue(metric: SummaryMetric, expression: string): string {
  const stat = /^\s*([a-z]+(?:\(\d+(?:\.\d+)?\))?)/.exec(expression)?.[1] ?? '';
  const value = metric.values[stat];
  if (value === undefined) return `${stat}=n/a`;
  if (metric.contains === 'time' && stat !== 'count' && stat !== 'rate') return `${stat}=${duration(value)}`;
  if (stat === 'rate') return `rate=${(value * 100).toFixed(3)}%`;
  return `${stat}=${Number.isInteger(value) ? value : value.toFixed(3)}`;
}

/** PromQL over the run's own time range, to evaluate at its end (Grafana: the run's time range). */
export function serverQueries(runSeconds: number): { label: string; query: string }[] {
  const range = `${Math.max(60, Math.ceil(runSeconds))}s`;
  const { gatewayOverhead, timeToFirstText, residentMemory } = SERVER_SERIES;
  return [
    { label: 'gateway overhead p95 (auth, limits, validation before the upstream)', query: `histogram_quantile(0.95, sum by (le) (rate(${gatewayOverhead}_bucket[${range}])))` },
    { label: 'time to first text p95 (chat-service, the TTFT SLO\'s SLI)', query: `histogram_quantile(0.95, sum by (le) (rate(${timeToFirstText}_bucket[${range}])))` },
    {
      label: `streamed turns with first text within ${TTFT_SLO_SECONDS} s (SLO: 95%)`,
      query: `sum(rate(${timeToFirstText}_bucket{le="${TTFT_SLO_SECONDS}"}[${range}])) / sum(rate(${timeToFirstText}_count[${range}]))`,
    },
    { label: 'memory growth per service over the run', query: `${residentMemory}{job=~"gateway|chat-service|safety-service"} - ${residentMemory}{job=~"gateway|chat-service|safety-service"} offset ${range}` },
  ];
}

export function summaryText(data: SummaryData, context: SummaryContext): string {
  const metric = (name: string): SummaryMetric | undefined => data.metrics[name];
  const value = (name: string, stat: string): number | undefined => metric(name)?.values[stat];
  const runMs = data.state?.testRunDurationMs ?? 0;

  const thresholds: { name: string; expression: string; ok: boolean; value: string }[] = [];
  for (const name of Object.keys(data.metrics).sort()) {
    const m = data.metrics[name];
    for (const [expression, result] of Object.entries(m?.thresholds ?? {})) {
      if (m) thresholds.push({ name, expression, ok: result.ok, value: thresholdValue(m, expression) });
    }
  }
  const failed = thresholds.filter((t) => !t.ok).length;

  const lines: string[] = [];
  lines.push(`Parley k6 "${context.scenario}" against ${context.baseUrl}: ${failed === 0 ? 'every SLO threshold held' : `${failed} of ${thresholds.length} SLO thresholds FAILED`}`);
  const requests = value('http_reqs', 'count') ?? 0;
  lines.push(
    `  ran ${span(runMs)}, ${value('iterations', 'count') ?? 0} iterations, ${requests} requests (${(value('http_reqs', 'rate') ?? 0).toFixed(1)}/s), peak ${value('vus', 'max') ?? value('vus_max', 'max') ?? 0} VUs`,
  );
  const turns = value('parley_chat_turns', 'count');
  if (turns !== undefined) {
    const failedRate = value('parley_chat_turn_failed', 'rate') ?? 0;
    lines.push(`  chat turns: ${turns} (${(value('parley_chat_turns', 'rate') ?? 0).toFixed(1)}/s), ${(failedRate * 100).toFixed(3)}% failed as a user would see it`);
  }

  lines.push('', 'Thresholds (the SLOs)');
  for (const t of thresholds) lines.push(`  ${t.ok ? 'ok  ' : 'FAIL'} ${t.name} ${t.expression}  (${t.value})`);

  const firstByte = metric('parley_stream_first_byte');
  const fullReply = metric('parley_full_reply_time');
  if (firstByte || fullReply) {
    lines.push('', 'Streamed turns');
    if (firstByte) {
      lines.push(
        `  first byte      p50 ${duration(firstByte.values['med'] ?? 0)}  p95 ${duration(firstByte.values['p(95)'] ?? 0)}  max ${duration(firstByte.values['max'] ?? 0)}`,
        '                  a lower bound of time to first token: Parley sends the SSE headers once the input is',
        '                  checked and the model\'s first chunk arrived; the first text follows after the first',
        '                  output safety window. k6 reads whole bodies, so it cannot time the first delta event.',
      );
    }
    if (fullReply) lines.push(`  full reply      p50 ${duration(fullReply.values['med'] ?? 0)}  p95 ${duration(fullReply.values['p(95)'] ?? 0)}  max ${duration(fullReply.values['max'] ?? 0)}`);
  }

  lines.push('', 'Server side over this run (Prometheus; evaluate at the end of the run):');
  for (const { label, query } of serverQueries(runMs / 1000)) lines.push(`  ${label}:`, `    ${query}`);
  for (const note of context.notes ?? []) lines.push('', note);
  return `${lines.join('\n')}\n`;
}
