// Issue 8's targets for the whole Parley path (gateway, chat-service, safety-service, Redis)
// against llm-sim with zero latency, on this machine:
// - at least 1,000 non-streamed chat requests/s;
// - p99 added latency at most 15 ms at 200 requests/s;
// - time-to-first-token overhead at most 10 ms at p95.
// "Added" = through the gateway minus llm-sim called directly with the request chat-service
// sends it, same run. Every service runs as `npm start` runs it: default sampling (10%) with
// OTLP export to a local receiver, Redis for sessions, limits, budgets, conversations and the
// audit trail, LOG_LEVEL=warn. CPU per turn per process (from each /metrics) says where the
// time goes when a target is missed.
import os from 'node:os';
import { startRedisServer } from '../../packages/testkit/dist/index.js';
import { startHelper } from '../lib/helper-process.mjs';
import { BrokenRunError, maxThroughput, pacedLoad } from '../lib/load.mjs';
import { mintSessions, withCpu } from '../lib/parley-client.mjs';
import { startBuiltService } from '../lib/services.mjs';
import { pacedStreams } from '../lib/sse-load.mjs';
import { round } from '../lib/stats.mjs';
import { UPSTREAM_REQUEST, classifyOpenAi, classifyParley, startLlmSim } from './chat-service.mjs';

export const name = 'full-stack';

const TARGET = { minRps: 1_000, addedP99Ms: 15, ttftAddedP95Ms: 10 };
const LATENCY_RATE = 200;
/** Streams cost more per turn (windows of output checks); the TTFT overhead is measured below saturation. */
const STREAM_RATE = 50;
/** A rate this machine sustains through the whole path: what the path adds without a queue. */
const LOW_RATE = 50;
const CONNECTIONS = 40;
const THROUGHPUT_CONNECTIONS = 50;
const INTERNAL_SECRET = 'bench-internal-secret-0123456789abcdefgh';
const CHAT_BODY = JSON.stringify({ message: 'hello' });
const PROCESSES = ['gateway', 'chat-service', 'safety-service', 'llm-sim'];

async function startFullStack(ctx, llmSim) {
  const redis = await ctx.start('redis-server', () => startRedisServer());
  const otlp = await ctx.start('otlp receiver', () => startHelper('otlp-receiver'));
  const common = { INTERNAL_SECRET, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
  const safety = await startBuiltService(ctx, { name: 'safety-service', dir: 'safety-service', env: common });
  const chat = await startBuiltService(ctx, {
    name: 'chat-service',
    dir: 'chat-service',
    env: { ...common, REDIS_URL: redis.url, OPENAI_BASE_URL: `${llmSim.url}/v1`, SAFETY_SERVICE_URL: safety.url },
  });
  const gateway = await startBuiltService(ctx, {
    name: 'gateway',
    dir: 'gateway',
    env: {
      ...common,
      REDIS_URL: redis.url,
      CHAT_SERVICE_URL: chat.url,
      // The bench measures the path, not refusals: limits and budgets far above what it sends.
      RATE_LIMIT_IP_PER_MINUTE: '1000000',
      RATE_LIMIT_SESSION_PER_MINUTE: '1000000',
      TOKEN_BUDGET_SESSION_PER_DAY: '1000000000',
      COST_BUDGET_USD_PER_DAY: '100000000',
    },
  });
  return { redis, otlp, safety, chat, gateway };
}

/**
 * Header sets for a phase: every connection its own new session (the gateway admits one chat
 * turn per session at a time, and a connection sends one at a time).
 */
async function sessionHeaders(gatewayUrl, connections, accept) {
  const tokens = await mintSessions(gatewayUrl, connections);
  return (i) => [{ authorization: `Bearer ${tokens[i]}`, accept }];
}

async function probe(stack, llmSim) {
  const direct = await fetch(`${llmSim.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(UPSTREAM_REQUEST) });
  if (!direct.ok) throw new BrokenRunError(`llm-sim answered ${direct.status}`);
  await direct.arrayBuffer();
  const [token] = await mintSessions(stack.gateway.url, 1);
  const turn = await fetch(`${stack.gateway.url}/api/v1/chat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
    body: CHAT_BODY,
  });
  const text = await turn.text();
  const reply = turn.ok ? JSON.parse(text) : undefined;
  if (!reply || typeof reply.reply !== 'string' || reply.safety?.action !== 'allow') {
    throw new BrokenRunError(`the Parley path is broken: POST /api/v1/chat via the gateway answered ${turn.status}: ${text.slice(0, 500)}`);
  }
}

async function measure(ctx, llmSim) {
  const d = ctx.durations;
  const stack = await startFullStack(ctx, llmSim);
  try {
    await probe(stack, llmSim);
    const processes = [stack.gateway, stack.chat, stack.safety, llmSim].map((p) => ({ name: p.name, url: p.url }));
    const paced = (rate) => ({ rate, connections: CONNECTIONS, warmupMs: d.latencyWarmupMs, durationMs: d.latencyMs });
    const noHeaders = () => [{}];
    const streamBody = JSON.stringify({ ...UPSTREAM_REQUEST, stream: true, stream_options: { include_usage: true } });

    ctx.log(`full-stack: non-streamed, llm-sim direct: ${LATENCY_RATE} req/s`);
    const directJson = await pacedLoad({ url: llmSim.url, path: '/v1/chat/completions', body: JSON.stringify(UPSTREAM_REQUEST), headersFor: noHeaders, ...paced(LATENCY_RATE), what: 'llm-sim direct' });
    ctx.log(`full-stack: non-streamed, through the gateway: ${LATENCY_RATE} req/s`);
    const viaJson = await withCpu(processes, async () =>
      pacedLoad({ url: stack.gateway.url, path: '/api/v1/chat', body: CHAT_BODY, headersFor: await sessionHeaders(stack.gateway.url, CONNECTIONS, 'application/json'), ...paced(LATENCY_RATE), what: 'full stack, non-streamed' }),
    );

    ctx.log(`full-stack: non-streamed, through the gateway: ${LOW_RATE} req/s (below saturation, for reference)`);
    const lowJson = await pacedLoad({
      url: stack.gateway.url,
      path: '/api/v1/chat',
      body: CHAT_BODY,
      headersFor: await sessionHeaders(stack.gateway.url, CONNECTIONS, 'application/json'),
      ...paced(LOW_RATE),
      what: `full stack, non-streamed at ${LOW_RATE}/s`,
    });

    ctx.log(`full-stack: streamed, llm-sim direct: ${STREAM_RATE} streams/s`);
    const directSse = await pacedStreams({ url: llmSim.url, path: '/v1/chat/completions', body: streamBody, headersFor: noHeaders, classify: classifyOpenAi, ...paced(STREAM_RATE), what: 'llm-sim direct, streamed' });
    ctx.log(`full-stack: streamed, through the gateway: ${STREAM_RATE} streams/s`);
    const viaSse = await withCpu(processes, async () =>
      pacedStreams({
        url: stack.gateway.url,
        path: '/api/v1/chat',
        body: CHAT_BODY,
        headersFor: await sessionHeaders(stack.gateway.url, CONNECTIONS, 'text/event-stream'),
        classify: classifyParley,
        ...paced(STREAM_RATE),
        what: 'full stack, streamed',
      }),
    );

    ctx.log(`full-stack: maximum non-streamed throughput, ${THROUGHPUT_CONNECTIONS} connections for ${d.throughputSec} s`);
    const warmupHeaders = await sessionHeaders(stack.gateway.url, THROUGHPUT_CONNECTIONS, 'application/json');
    const measuredHeaders = await sessionHeaders(stack.gateway.url, THROUGHPUT_CONNECTIONS, 'application/json');
    // The warm-up's cut-off turns release their sessions' leases within a second.
    const throughput = await withCpu(processes, () =>
      maxThroughput({
        url: stack.gateway.url,
        path: '/api/v1/chat',
        body: CHAT_BODY,
        connections: THROUGHPUT_CONNECTIONS,
        warmupSec: d.throughputWarmupSec,
        durationSec: d.throughputSec,
        warmupHeadersFor: warmupHeaders,
        headersFor: measuredHeaders,
        what: 'full stack at maximum throughput',
      }),
    );
    // The services flush their span batches on SIGTERM; the receiver's count is then complete.
    for (const p of [stack.gateway, stack.chat, stack.safety]) await ctx.stop(p);
    const spans = (await stack.otlp.ask('count')).spans;
    return { directJson, viaJson, lowJson, directSse, viaSse, throughput, spans };
  } finally {
    for (const p of [stack.gateway, stack.chat, stack.safety, stack.otlp, stack.redis]) await ctx.stop(p);
  }
}

const fmtCpu = (cpu) => PROCESSES.map((p) => `${p} ${cpu[p]?.toFixed(2)}`).join(', ');
const cpuTotal = (cpu) => Object.values(cpu).reduce((a, b) => a + b, 0);

function verdict(missed) {
  return missed.length === 0 ? { verdict: 'PASS', verdict_label: 'PASS', misses: [] } : { verdict: 'FAIL', verdict_label: `FAIL ${missed.map((m) => m[0]).join(', ')}`, misses: missed.map((m) => m[1]) };
}

function rows(m) {
  const base = { section: name };
  const addedP50 = m.viaJson.p50 - m.directJson.p50;
  const addedP99 = m.viaJson.p99 - m.directJson.p99;
  const ttftAddedP50 = m.viaSse.ttftP50 - m.directSse.ttftP50;
  const ttftAddedP95 = m.viaSse.ttftP95 - m.directSse.ttftP95;
  const saturated = m.viaJson.saturatedAfterMs !== undefined;
  const perCore = 1000 / cpuTotal(m.throughput.cpuMsPerTurn);
  const answered = m.viaJson.completed + m.lowJson.completed + m.viaSse.completed + m.throughput.completed;
  return [
    { ...base, request: 'non-streamed', target: 'llm-sim, direct', rate_rps: LATENCY_RATE, p50_ms: round(m.directJson.p50), p99_ms: round(m.directJson.p99), note: 'reference' },
    {
      ...base,
      request: 'non-streamed',
      target: 'gateway + chat-service + safety-service + Redis',
      rate_rps: LATENCY_RATE,
      p50_ms: round(m.viaJson.p50),
      p99_ms: round(m.viaJson.p99),
      added_p50_ms: round(addedP50),
      added_p99_ms: round(addedP99),
      cpu_ms_per_turn: Object.fromEntries(Object.entries(m.viaJson.cpuMsPerTurn).map(([k, v]) => [k, round(v, 2)])),
      ...verdict([
        ...(saturated ? [[`${LATENCY_RATE}/s`, `cannot sustain ${LATENCY_RATE} req/s`]] : []),
        ...(addedP99 <= TARGET.addedP99Ms ? [] : [['+p99', `+p99 ${addedP99.toFixed(2)} > ${TARGET.addedP99Ms}`]]),
      ]),
      note: `${saturated ? `cannot sustain ${LATENCY_RATE}/s (cut short ${(m.viaJson.saturatedAfterMs / 1000).toFixed(1)} s in); ` : ''}${m.viaJson.late ? `${m.viaJson.late} late; ` : ''}CPU ms/turn: ${fmtCpu(m.viaJson.cpuMsPerTurn)}; target +p99 <= ${TARGET.addedP99Ms} ms at ${LATENCY_RATE}/s`,
    },
    {
      ...base,
      request: 'non-streamed',
      target: 'gateway + chat-service + safety-service + Redis',
      rate_rps: LOW_RATE,
      p50_ms: round(m.lowJson.p50),
      p99_ms: round(m.lowJson.p99),
      added_p50_ms: round(m.lowJson.p50 - m.directJson.p50),
      added_p99_ms: round(m.lowJson.p99 - m.directJson.p99),
      note: `reference: at ${LOW_RATE}/s, below saturation (the direct figures are at ${LATENCY_RATE}/s)${m.lowJson.late ? `; ${m.lowJson.late} late` : ''}`,
    },
    { ...base, request: 'streamed: time to first token', target: 'llm-sim, direct', rate_rps: STREAM_RATE, p50_ms: round(m.directSse.ttftP50), p95_ms: round(m.directSse.ttftP95), p99_ms: round(m.directSse.ttftP99), note: 'reference' },
    {
      ...base,
      request: 'streamed: time to first token',
      target: 'gateway + chat-service + safety-service + Redis',
      rate_rps: STREAM_RATE,
      p50_ms: round(m.viaSse.ttftP50),
      p95_ms: round(m.viaSse.ttftP95),
      p99_ms: round(m.viaSse.ttftP99),
      added_p50_ms: round(ttftAddedP50),
      added_p95_ms: round(ttftAddedP95),
      ...verdict(ttftAddedP95 <= TARGET.ttftAddedP95Ms ? [] : [['+p95', `TTFT +p95 ${ttftAddedP95.toFixed(2)} > ${TARGET.ttftAddedP95Ms}`]]),
      note: `TTFT +p95 ${ttftAddedP95.toFixed(2)} ms (target <= ${TARGET.ttftAddedP95Ms}); full reply p50 ${m.viaSse.totalP50?.toFixed(1)} ms; CPU ms/turn: ${fmtCpu(m.viaSse.cpuMsPerTurn)}`,
    },
    {
      ...base,
      request: 'non-streamed',
      target: 'maximum throughput',
      max_rps: round(m.throughput.rps, 0),
      cpu_ms_per_turn: Object.fromEntries(Object.entries(m.throughput.cpuMsPerTurn).map(([k, v]) => [k, round(v, 2)])),
      ...verdict(m.throughput.rps >= TARGET.minRps ? [] : [['req/s', `${m.throughput.rps.toFixed(0)} req/s < ${TARGET.minRps}`]]),
      note: `${Math.round(m.throughput.rps)} turns/s (target >= ${TARGET.minRps}); CPU ms/turn: ${fmtCpu(m.throughput.cpuMsPerTurn)} = ${cpuTotal(m.throughput.cpuMsPerTurn).toFixed(2)} ms, so the ${os.cpus().length} cores fit at most ~${Math.round(perCore * os.cpus().length)} turns/s before the load generator's share; spans/turn ${(m.spans / answered).toFixed(2)}`,
    },
  ];
}

export async function run(ctx) {
  const llmSim = await startLlmSim(ctx);
  const m = await measure(ctx, llmSim);
  const d = ctx.durations;
  return {
    rows: rows(m),
    legend: [
      `full-stack: POST /api/v1/chat {"message":"hello"} through the gateway (session in Redis, rate limits, one-turn lease, token and cost budgets, audit, proxy), chat-service (input check, LLM call, output check, conversation in Redis) and safety-service, against llm-sim with zero latency and telemetry off; "llm-sim, direct" = llm-sim's POST /v1/chat/completions with the request chat-service sends it. Every connection has its own session.`,
      `Latency rows: open loop, ${CONNECTIONS} keep-alive connections, ${d.latencyMs / 1000} s after ${d.latencyWarmupMs / 1000} s warm-up; non-streamed at ${LATENCY_RATE}/s, streamed at ${STREAM_RATE}/s timed to the first \`delta\` event (direct: first chunk with content); added = through the gateway minus direct, same run. Maximum throughput: autocannon, ${THROUGHPUT_CONNECTIONS} connections, ${d.throughputSec} s after ${d.throughputWarmupSec} s warm-up. CPU ms/turn: process_cpu_seconds_total of each process over the phase / requests answered in it.`,
      `Targets (issue 8): >= ${TARGET.minRps} non-streamed turns/s; +p99 <= ${TARGET.addedP99Ms} ms at ${LATENCY_RATE}/s; time-to-first-token +p95 <= ${TARGET.ttftAddedP95Ms} ms. All services: default sampling (parent-based 10%) exporting to a local OTLP receiver, LOG_LEVEL=warn, one process each on this machine's cores, the load generator on the same machine.`,
    ],
  };
}
