// Issue 5's speed targets: p99 at most 2 ms for a 4 KB text through the whole deterministic
// engine, at least 20 MB/s per core of throughput, and checking a streamed reply window adds
// at most 1 ms at p99.
//
// 1. The engine in this process (createModerator from safety-service's dist, what
//    POST /v1/moderate runs): every text of a 4 KB corpus checked one at a time, each timed;
//    throughput = bytes checked / CPU seconds of this thread.
// 2. A window check as chat-service makes it: POST /v1/moderate on a running safety-service
//    (production start, default sampling, spans exported to a local receiver) with a streamed
//    reply's window (160 characters plus the 48 held back), at a fixed rate over keep-alive
//    connections: its latency is what each window adds to a stream.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { IDENTITY_HEADER, createIdentitySigner } from '../../packages/platform/dist/index.js';
import { createModerator } from '../../safety-service/dist/domain/engine.js';
import { startHelper } from '../lib/helper-process.mjs';
import { pacedLoad } from '../lib/load.mjs';
import { startBuiltService } from '../lib/services.mjs';
import { percentile, round } from '../lib/stats.mjs';

export const name = 'safety';

const TARGET = { engineP99Ms: 2, mbPerSecond: 20, windowP99Ms: 1 };
const TEXT_BYTES = 4_096;
const WINDOW_CHARS = 160 + 48;
const RATE = 200;
const CONNECTIONS = 10;
const INTERNAL_SECRET = 'bench-internal-secret-0123456789abcdefgh';
const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Texts of 4,096 bytes made from the evaluation sets' texts (prose, code, config, PII and
 * secrets in English, German and French, benign and not), cut at a character boundary: the
 * mix the engine sees, not a best case of plain prose.
 */
async function corpus() {
  const dir = `${root}/safety-service/eval/datasets`;
  const texts = [];
  for (const file of ['parley-cases.jsonl', 'overblocking-xstest.jsonl', 'pii-presidio.jsonl', 'secrets-gitleaks.jsonl']) {
    for (const line of (await readFile(`${dir}/${file}`, 'utf8')).split('\n')) if (line.trim()) texts.push(JSON.parse(line).text);
  }
  const out = [];
  for (let start = 0; out.length < 400; start += 7) {
    let text = '';
    for (let i = start; Buffer.byteLength(text) < TEXT_BYTES; i++) text += `${texts[i % texts.length]}\n`;
    while (Buffer.byteLength(text) > TEXT_BYTES) text = text.slice(0, -1);
    out.push({ text, direction: out.length % 2 ? 'output' : 'input' });
  }
  return out;
}

function measureEngine(texts, durationMs) {
  const bytesEach = texts.map((t) => Buffer.byteLength(t.text));
  const moderator = createModerator();
  // Warm-up: JIT and regex caches.
  for (let i = 0; i < 200; i++) moderator.moderate({ ...texts[i % texts.length], language: 'en' });
  const times = [];
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const end = performance.now() + durationMs;
  for (let i = 0; performance.now() < end; i++) {
    const t = texts[i % texts.length];
    const t0 = performance.now();
    moderator.moderate({ ...t, language: 'en' });
    times.push(performance.now() - t0);
    bytes += bytesEach[i % texts.length];
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), checks: times.length, mbPerSecond: bytes / 1e6 / ((cpu.user + cpu.system) / 1e6) };
}

async function measureWindow(ctx, texts) {
  const otlp = await ctx.start('otlp receiver', () => startHelper('otlp-receiver'));
  const safety = await startBuiltService(ctx, {
    name: 'safety-service',
    dir: 'safety-service',
    env: { INTERNAL_SECRET, OTEL_SERVICE_NAME: 'safety-service', OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
  });
  const identity = await createIdentitySigner({ secret: INTERNAL_SECRET, issuer: 'chat-service' }).sign({ sub: 'chat-service', kind: 'service', role: 'service' }, 'safety-service');
  // A window of streamed output: the start of a corpus text, as a reply's window would be.
  const body = JSON.stringify({ text: texts[0].text.slice(0, WINDOW_CHARS), direction: 'output', language: 'en' });
  const d = ctx.durations;
  ctx.log(`safety: window checks at ${RATE}/s for ${d.latencyMs / 1000} s after ${d.latencyWarmupMs / 1000} s warm-up`);
  try {
    return await pacedLoad({
      url: safety.url,
      method: 'POST',
      path: '/v1/moderate',
      body,
      rate: RATE,
      connections: CONNECTIONS,
      warmupMs: d.latencyWarmupMs,
      durationMs: d.latencyMs,
      headersFor: () => [{ [IDENTITY_HEADER]: identity }],
      what: `safety-service window checks at ${RATE}/s`,
    });
  } finally {
    await ctx.stop(safety);
    await ctx.stop(otlp);
  }
}

export async function run(ctx) {
  const texts = await corpus();
  const d = ctx.durations;
  ctx.log(`safety: the engine on ${texts.length} texts of ${TEXT_BYTES} bytes for ${d.latencyMs / 1000} s`);
  const engine = measureEngine(texts, d.latencyMs);
  const windows = texts.map((t) => ({ text: t.text.slice(0, WINDOW_CHARS), direction: 'output' }));
  const engineWindow = measureEngine(windows, d.latencyMs);
  const window = await measureWindow(ctx, texts);
  const base = { section: name };
  const engineMissed = [engine.p99 > TARGET.engineP99Ms && 'p99', engine.mbPerSecond < TARGET.mbPerSecond && 'MB/s'].filter(Boolean);
  const engineWindowMissed = engineWindow.p99 > TARGET.windowP99Ms;
  const windowMissed = [window.saturatedAfterMs !== undefined && `${RATE}/s`, window.p99 > TARGET.windowP99Ms && 'p99'].filter(Boolean);
  const rows = [
    {
      ...base,
      request: `engine, ${TEXT_BYTES / 1024} KB text`,
      target: 'in process, one thread',
      p50_ms: round(engine.p50),
      p99_ms: round(engine.p99),
      mb_per_s: round(engine.mbPerSecond, 1),
      checks: engine.checks,
      verdict: engineMissed.length ? 'FAIL' : 'PASS',
      verdict_label: engineMissed.length ? `FAIL ${engineMissed.join(', ')}` : 'PASS',
      note: `${engine.checks} checks; MB/s = bytes checked / CPU seconds of the thread`,
    },
    {
      ...base,
      request: `streamed window, ${WINDOW_CHARS} chars`,
      target: 'engine, in process',
      p50_ms: round(engineWindow.p50),
      p99_ms: round(engineWindow.p99),
      checks: engineWindow.checks,
      verdict: engineWindowMissed ? 'FAIL' : 'PASS',
      verdict_label: engineWindowMissed ? 'FAIL p99' : 'PASS',
      note: `${engineWindow.checks} checks: the engine's share of a window check`,
    },
    {
      ...base,
      request: `streamed window, ${WINDOW_CHARS} chars`,
      target: 'POST /v1/moderate over HTTP',
      p50_ms: round(window.p50),
      p99_ms: round(window.p99),
      requests_at_rate: window.requests,
      late_at_rate: window.late,
      verdict: windowMissed.length ? 'FAIL' : 'PASS',
      verdict_label: windowMissed.length ? `FAIL ${windowMissed.join(', ')}` : 'PASS',
      note: `what one window check adds to a stream today: the whole HTTP round trip (Express, identity check, telemetry), at ${RATE}/s${window.late ? `; ${window.late} late` : ''}`,
    },
  ];
  return {
    rows,
    legend: [
      `safety, engine: texts of ${TEXT_BYTES} bytes cut from the evaluation sets (prose, code, config, PII and secrets in three languages; half input, half output), each checked by createModerator in the bench process, timed one by one for ${d.latencyMs / 1000} s after a warm-up; MB/s per core = bytes / CPU time of the thread.`,
      `safety, window: POST /v1/moderate with a ${WINDOW_CHARS}-character output window (the output guard's 160-character window plus its 48 held back) on safety-service started as in production (default sampling, OTLP export to a local receiver), ${RATE}/s open loop over ${CONNECTIONS} keep-alive connections, ${d.latencyMs / 1000} s after ${d.latencyWarmupMs / 1000} s warm-up; p50/p99 = the whole round trip, what each window adds to a stream.`,
      `safety, window in process: the same windows through createModerator, timed one by one: the engine's share of a window check.`,
      `Targets (issue 5): engine p99 <= ${TARGET.engineP99Ms} ms for a 4 KB text, >= ${TARGET.mbPerSecond} MB/s per core; a window check adds <= ${TARGET.windowP99Ms} ms at p99 (both the engine's share and the HTTP round trip get the verdict).`,
    ],
  };
}
