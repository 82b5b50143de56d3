import { createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Health, IDENTITY_HEADER, createBreakers, createIdentitySigner, createIdentityVerifier, createLogger, createMetrics } from '@parley/platform';
import { startLlmSim, type LlmSim } from '@parley/llm-sim';
import { waitFor } from '@parley/testkit';
import { createMemoryConversationStore } from '../src/adapters/memory-conversation-store.js';
import { createApp } from '../src/app.js';
import { createResilientLlm } from '../src/llm/create-llm.js';
import { isUpstreamFailure } from '../src/llm/resilient-llm.js';
import { fakeSafety } from './fakes.js';

/**
 * Clients that hang up on streamed turns must not leave connections to the LLM provider
 * behind. Node's fetch (undici) reconnects for a request aborted mid-response and keeps that
 * never-used socket until shortly before the server's keep-alive timeout: one idle provider
 * connection per cancelled stream. Here the real chat path (routes, ChatService, ResilientLlm,
 * the openai SDK) runs against llm-sim, whose server counts the TCP connections it accepts.
 */
const secret = 'stream-cancel-connections-secret-0123456';
const STREAMS = 20;
let sim: LlmSim;
let llmServer: Server;
let chatServer: Server;
let chatUrl: string;
const llmSockets = { accepted: 0, open: new Set<Socket>() };

const listen = async (server: Server): Promise<string> => {
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

beforeAll(async () => {
  // Slow enough that every stream is still running when its client hangs up.
  sim = await startLlmSim({ settings: { ttft_ms: 0, tokens_per_second: 20, reply_tokens: 400 } });
  llmServer = createServer(sim.app);
  // Advertised as `Keep-Alive: timeout=65`, like Parley's own servers: undici keeps an idle
  // connection until 2 s before that, so a needless one outlives this test.
  llmServer.keepAliveTimeout = 65_000;
  llmServer.on('connection', (socket) => {
    llmSockets.accepted++;
    llmSockets.open.add(socket);
    socket.once('close', () => llmSockets.open.delete(socket));
  });
  const llmUrl = await listen(llmServer);

  const logger = createLogger({ service: 'chat-service', level: 'silent' });
  const metrics = createMetrics({ defaultMetrics: false });
  const breakers = createBreakers({
    options: { errorThresholdPercentage: 50, volumeThreshold: 100, resetTimeoutMs: 1_000, rollingWindowMs: 10_000 },
    registry: metrics.registry,
    logger,
    isFailure: isUpstreamFailure,
  });
  const llm = createResilientLlm(
    {
      primary: { provider: 'llm-sim', baseURL: `${llmUrl}/v1`, apiKey: 'k' },
      models: ['gpt-4o-mini'],
      fallbacks: [],
      policy: { maxAttempts: 1, backoffBaseMs: 10, backoffMaxMs: 10, maxRetryAfterMs: 1_000, attemptTimeoutMs: 10_000, deadlineMs: 60_000, streamIdleTimeoutMs: 10_000 },
      prices: {},
      defaultPrice: { input_usd_per_mtok: 0, output_usd_per_mtok: 0 },
      captureContent: false,
    },
    { registry: metrics.registry, logger, breakers },
  );
  const app = createApp({
    logger,
    metrics,
    health: new Health(),
    llm,
    breakers,
    safety: fakeSafety().safety,
    store: createMemoryConversationStore({ idleTtlSeconds: 60, maxMessages: 20 }),
    verifier: createIdentityVerifier({ secret, audience: 'chat-service' }),
    chat: { model: 'gpt-4o-mini', maxTokens: 512, temperature: 0, historyLimit: 20, contextTokens: 100_000, safetyWindowChars: 16, safetyHoldbackChars: 8, safetyFlushMs: 0, systemPrompts: { en: 'en', de: 'de', fr: 'fr' } },
    maxMessageChars: 100,
  });
  chatServer = createServer(app);
  chatUrl = await listen(chatServer);
});

afterAll(async () => {
  for (const server of [chatServer, llmServer]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await sim.close();
});

/** Opens a streamed turn and resolves with its request once the first delta arrived. */
async function streamUntilFirstDelta(session: string) {
  const identity = await createIdentitySigner({ secret, issuer: 'gateway' }).sign({ sub: session, kind: 'session', role: 'user', lang: 'en' }, 'chat-service');
  return new Promise<ReturnType<typeof request>>((resolve, reject) => {
    const req = request(
      `${chatUrl}/api/v1/chat`,
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', [IDENTITY_HEADER]: identity } },
      (res) => {
        if (res.statusCode !== 200) reject(new Error(`chat answered ${res.statusCode}`));
        res.on('data', (data: Buffer) => {
          if (data.toString().includes('event: delta')) resolve(req);
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ message: 'Tell me a long story' }));
  });
}

describe('streamed turns cancelled by their clients', () => {
  it('leave no idle connections to the LLM provider behind, however many were cancelled', async () => {
    // A turn that keeps streaming, as others would on a live service, while STREAMS are cancelled.
    const bystander = await streamUntilFirstDelta('bystander');
    const clients = await Promise.all(Array.from({ length: STREAMS }, (_, i) => streamUntilFirstDelta(`s${i}`)));
    expect(sim.sim.stats().in_flight).toBe(STREAMS + 1);
    expect(llmSockets.open.size).toBe(STREAMS + 1);

    for (const client of clients) client.destroy();
    await waitFor(() => sim.sim.stats().cancellations === STREAMS && sim.sim.stats().in_flight === 1, { what: 'llm-sim to see every cancellation' });

    // The running stream's connection and a small constant; before the fix, one more per cancelled
    // stream, opened after the cancellation and never carrying a request.
    const allowed = 1 + 2;
    await waitFor(() => llmSockets.open.size <= allowed, { what: 'the cancelled streams\' connections to close', timeoutMs: 3_000 }).catch(() => undefined);
    expect(llmSockets.open.size, 'connections open at the LLM server').toBeLessThanOrEqual(allowed);
    expect(sim.sim.stats().requests_total).toBe(STREAMS + 1);
    expect(llmSockets.accepted, 'connections opened to the LLM server').toBeLessThanOrEqual(STREAMS + allowed);
    bystander.destroy();
  });
});
