import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad, summarize, waitFor, type RequestOutcome, type ServiceProcess } from '@parley/testkit';
import { startStack, type Stack } from '../e2e/stack.js';
import { FULL, UNLIMITED_GATEWAY, createApiKey, crashes, mintSession, restartable, sleep } from './support.js';

// SIGTERM to each service in turn while it carries load with open streams; the service is
// started again before the next one. test/e2e/shutdown.test.ts drains one stream through the
// gateway and chat-service; here every service drains under load, with streams that finish
// within the drain timeout and streams that would outlive it.
const DRAIN_MS = 3_000;
const RATE = FULL ? 20 : 12;
/** About 1 s of streaming. */
const SHORT = '[[sim:tokens_per_second=40]] [[sim:reply_tokens=40]]';
/** About 6 s of streaming: longer than the drain timeout. */
const LONG = '[[sim:tokens_per_second=10]] [[sim:reply_tokens=60]]';

let stack: Stack;
let apiKey: string;
const services: Record<string, ServiceProcess> = {};

beforeAll(async () => {
  const drain = { SHUTDOWN_DRAIN_MS: String(DRAIN_MS) };
  stack = await startStack({ 'llm-sim': drain, 'safety-service': drain, 'chat-service': drain, gateway: { ...UNLIMITED_GATEWAY, ...drain } });
  apiKey = await createApiKey(stack.gateway.url);
  Object.assign(services, { 'llm-sim': stack.sim, 'safety-service': stack.safety, 'chat-service': stack.chat, gateway: stack.gateway });
});
afterAll(async () => {
  await Promise.all(Object.values(services).map((s) => s.stop()));
  await stack?.stop();
});

interface Round {
  outcomes: RequestOutcome[];
  signalAt: number;
  exitedAt: number;
  exitCode: number | null;
}

/** Load with open streams (a third of them longer than the drain), SIGTERM to `name` after 2 s, then the service is started again. */
async function sigtermUnderLoad(name: string): Promise<Round> {
  const gateway = services['gateway'] as ServiceProcess;
  const sessions = await Promise.all(Array.from({ length: RATE * 6 }, () => mintSession(gateway.url)));
  const kind = (i: number) => (i % 3 === 2 ? 'api-json' : i % 3 === 1 ? 'long-stream' : 'stream');
  const send = (i: number, signal: AbortSignal) =>
    kind(i) === 'api-json'
      ? fetch(`${gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `json ${i} ${SHORT}` }] }),
          signal,
        })
      : fetch(`${gateway.url}/api/v1/chat`, {
          method: 'POST',
          headers: { authorization: `Bearer ${sessions[i]}`, 'content-type': 'application/json', accept: 'text/event-stream' },
          body: JSON.stringify({ message: `stream ${i} ${kind(i) === 'long-stream' ? LONG : SHORT}` }),
          signal,
        });
  const service = services[name] as ServiceProcess;
  const restart = restartable(service);
  const load = startLoad({ ratePerSecond: RATE, requests: sessions.length, send, label: kind, timeoutMs: 30_000 });
  await sleep(2_000);
  const signalAt = performance.now();
  const exitCode = await service.stop('SIGTERM', 30_000);
  const exitedAt = performance.now();
  // Requests go on for a second after the exit (refused, typed); a gateway that is gone takes
  // none (a load balancer would send them elsewhere).
  if (name !== 'gateway') await sleep(1_000);
  load.stop();
  const outcomes = await load.done;
  services[name] = await restart();
  // Back in service: a streamed turn through the whole stack completes.
  const url = (services['gateway'] as ServiceProcess).url;
  await waitFor(
    async () => {
      const res = await fetch(`${url}/api/v1/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await mintSession(url)}`, 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ message: 'back?' }),
      });
      return res.ok && (await res.text()).includes('event: done');
    },
    { what: `the stack to serve again after ${name} restarted`, timeoutMs: 15_000 },
  );
  return { outcomes, signalAt, exitedAt, exitCode };
}

function report(name: string, round: Round): string {
  const inFlight = round.outcomes.filter((o) => o.startedAt < round.signalAt && o.endedAt > round.signalAt);
  const s = summarize(inFlight);
  return (
    `[chaos] SIGTERM ${name}: exit ${round.exitCode} after ${Math.round(round.exitedAt - round.signalAt)} ms; ${round.outcomes.length} requests, ` +
    `${inFlight.length} in flight at the signal (${inFlight.filter((o) => o.label === 'long-stream').length} long streams): ${JSON.stringify(s.byEnding)}, failures ${JSON.stringify(s.failures)}; ` +
    `all failures ${JSON.stringify(summarize(round.outcomes).failures)}; last in-flight end ${Math.round(Math.max(...inFlight.map((o) => o.endedAt)) - round.signalAt)} ms after the signal; ` +
    `truncated ${JSON.stringify(round.outcomes.filter((o) => o.ending === 'truncated').map((o) => [o.label, Math.round(o.startedAt - round.signalAt), Math.round(o.endedAt - round.signalAt), o.events.length]))}`
  );
}

/**
 * A stream cut when the drain timeout closed the connections: no `done`, no `error` event, the
 * socket just ends (the bug the `it.fails` tests below name).
 */
const cutAtDrainTimeout = (round: Round) => (o: RequestOutcome) => o.ending === 'truncated' && o.endedAt - round.signalAt >= DRAIN_MS - 100;

/**
 * What every service must do on SIGTERM, whatever its place in the chain. `knownCut`: leave
 * streams cut at the drain timeout to the `it.fails` test of that service.
 */
function expectCleanDrain(name: string, round: Round, knownCut = false): void {
  expect(round.exitCode).toBe(0);
  expect(round.exitedAt - round.signalAt).toBeLessThan(DRAIN_MS + 1_500);
  const inFlight = round.outcomes.filter((o) => o.startedAt < round.signalAt && o.endedAt > round.signalAt);
  expect(inFlight.filter((o) => o.label !== 'api-json').length).toBeGreaterThanOrEqual(RATE / 2);
  // In flight at the signal: finished, or ended with a typed error, within the drain timeout.
  for (const o of inFlight) expect(o.endedAt - round.signalAt).toBeLessThan(DRAIN_MS + 1_500);
  // A gateway that has stopped listening, or closed an idle keep-alive connection just as a
  // request went out on it, gives no answer at all: nothing was truncated, the client may retry.
  for (const o of round.outcomes.filter((x) => x.ending === 'no_response')) {
    expect([name, o.startedAt >= round.signalAt]).toEqual(['gateway', true]);
  }
  const silent = round.outcomes.filter((o) => o.ending !== 'ok' && o.ending !== 'no_response' && summarize([o]).untyped.length > 0 && !(knownCut && cutAtDrainTimeout(round)(o)));
  expect(silent.map((o) => `${o.label} ${o.ending} ${o.transportError ?? ''}`)).toEqual([]);
  expect(Object.values(services).flatMap(crashes)).toEqual([]);
}

const rounds: Record<string, Round> = {};

describe('SIGTERM under load with open streams', () => {
  it('llm-sim drains: streams it cuts at the drain timeout end with a typed error event', async () => {
    const round = (rounds['llm-sim'] = await sigtermUnderLoad('llm-sim'));
    console.info(report('llm-sim', round));
    expectCleanDrain('llm-sim', round);
  });

  it('safety-service drains: checks it can no longer answer fail closed with a typed error', async () => {
    const round = (rounds['safety-service'] = await sigtermUnderLoad('safety-service'));
    console.info(report('safety-service', round));
    expectCleanDrain('safety-service', round);
  });

  it('chat-service drains: exits 0 within the drain timeout, streams that fit in it finish, nothing untyped but the cut below', async () => {
    const round = (rounds['chat-service'] = await sigtermUnderLoad('chat-service'));
    console.info(report('chat-service', round));
    expectCleanDrain('chat-service', round, true);
  });

  it('the gateway drains: exits 0 within the drain timeout, streams that fit in it finish, nothing untyped but the cut below', async () => {
    const round = (rounds['gateway'] = await sigtermUnderLoad('gateway'));
    console.info(report('gateway', round));
    expectCleanDrain('gateway', round, true);
  });

  // Product bug (issue 8; see test/chaos/README.md): at the drain timeout runServer destroys every
  // open connection (packages/platform/src/lifecycle.ts, `server.closeAllConnections()`), so an SSE
  // stream still open then gets neither `done` nor an `error` event; requests that reach a draining
  // process on a kept-alive connection are still started (lifecycle.ts only adds `Connection: close`)
  // and cut the same way; and the gateway, when chat-service's connection closes mid-stream,
  // destroys the client's connection instead of ending the stream with an `error` event
  // (gateway/src/routes/chat-proxy.routes.ts, proxy `error` handler, `res.destroy()`).
  it.fails('chat-service: a stream that outlives its drain timeout ends with a typed error event, not a cut connection [bug]', () => {
    const round = rounds['chat-service'] as Round;
    expect(round.outcomes.filter(cutAtDrainTimeout(round)).length).toBe(0);
  });

  it.fails('the gateway: a stream that outlives its drain timeout ends with a typed error event, not a cut connection [bug]', () => {
    const round = rounds['gateway'] as Round;
    expect(round.outcomes.filter(cutAtDrainTimeout(round)).length).toBe(0);
  });
});
