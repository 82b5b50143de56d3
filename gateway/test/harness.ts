import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Health, IDENTITY_HEADER, createIdentitySigner, createIdentityVerifier, createLogger, createMemoryAuditLog, createMetrics, type AuditLog } from '@parley/platform';
import { captureLogs } from '@parley/testkit';
import { createMemorySessionStore } from '../src/adapters/memory-session-store.js';
import { createApp, type AppDeps } from '../src/app.js';
import { SessionService } from '../src/domain/sessions.js';
import { createBootstrapAdmin, createMemoryApiKeyStore } from '../src/identity/index.js';
import { createInstrumentedLimitStore, createMemoryLimitStore, type LimitStore } from '../src/limits/index.js';

export const SECRET = 'gateway-test-secret-that-is-long-enough';
export const ADMIN_KEY = 'bootstrap-admin-key-for-tests-0123456789';
const verifier = createIdentityVerifier({ secret: SECRET, audience: 'chat-service' });

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, unknown>;
  body: string;
  identity?: unknown;
}

/** A stand-in chat-service: records what reached it, answers like chat-service, streams on demand. */
export async function startUpstream() {
  const seen: SeenRequest[] = [];
  const pending: (() => void)[] = [];
  const state: { usage: { input_tokens: number; output_tokens: number }; costUsd?: number; safety: string; holdStreams: boolean; status: number; hang: boolean } = {
    usage: { input_tokens: 10, output_tokens: 20 },
    safety: 'allow',
    holdStreams: false,
    status: 200,
    hang: false,
  };
  const app = express();
  app.use(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const token = req.headers[IDENTITY_HEADER];
    const identity = typeof token === 'string' ? await verifier.verify(token).catch(() => undefined) : undefined;
    seen.push({ method: req.method, url: req.url, headers: req.headers, body, identity });
    if (state.hang) return; // never answers: the gateway's upstream timeout must act
    if (req.method === 'DELETE') return void res.status(204).end();
    if (req.url.endsWith('/export')) return void res.json({ session_id: 'x', messages: [] });
    if (req.url.startsWith('/api/v1/history')) return void res.json({ messages: [] });
    if (state.status !== 200) return void res.status(state.status).json({ code: 'upstream' });
    if (req.headers.accept === 'text/event-stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: meta\ndata: {"message_id":"msg_1"}\n\n');
      res.write('event: delta\ndata: {"text":"first"}\n\n');
      const finish = () => {
        res.write(`event: done\ndata: ${JSON.stringify({ finish_reason: 'stop', usage: state.usage, cost_usd: state.costUsd, safety: { action: state.safety } })}\n\n`);
        res.end();
      };
      if (state.holdStreams) pending.push(finish);
      else finish();
      return;
    }
    res.json({ message_id: 'msg_1', reply: 'ok', echo: body, finish_reason: 'stop', usage: state.usage, cost_usd: state.costUsd, safety: { action: state.safety } });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    seen,
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    releaseAll: () => {
      while (pending.length) pending.shift()?.();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type Upstream = Awaited<ReturnType<typeof startUpstream>>;

export interface BuildOptions {
  chatServiceUrl: string;
  overrides?: Partial<AppDeps>;
  limits?: LimitStore;
  audit?: AuditLog;
}

/** The gateway app with in-memory twins, a capturing logger and generous default limits. */
export function buildGateway(options: BuildOptions) {
  const logs = captureLogs();
  const logger = createLogger({ service: 'gateway', destination: logs.stream });
  const metrics = createMetrics({ defaultMetrics: false });
  const audit = options.audit ?? createMemoryAuditLog({ logger, registry: metrics.registry });
  const limits = options.limits ?? createInstrumentedLimitStore(createMemoryLimitStore(), { registry: metrics.registry });
  const apiKeys = createMemoryApiKeyStore({ pepper: 'pepper-for-tests-0123456789' });
  const deps: AppDeps = {
    logger,
    metrics,
    health: new Health(),
    sessions: new SessionService(createMemorySessionStore(), 1800, Buffer.from('session-signing-key-for-tests-0123456789')),
    apiKeys,
    bootstrapAdmin: createBootstrapAdmin(ADMIN_KEY),
    limits,
    audit,
    signer: createIdentitySigner({ secret: SECRET, issuer: 'gateway' }),
    chatServiceUrl: options.chatServiceUrl,
    upstreamTimeoutMs: 5_000,
    rates: {
      ip: { name: 'ip', limit: 10_000, windowSeconds: 60 },
      session: { name: 'session', limit: 10_000, windowSeconds: 60 },
      apiKey: { name: 'api_key', limit: 10_000, windowSeconds: 60 },
    },
    budgets: {
      session: { name: 'session_tokens', limit: 1_000_000 },
      apiKey: { name: 'api_key_tokens', limit: 1_000_000 },
      cost: { name: 'cost_micro_usd', limit: 1_000_000_000 },
    },
    pricing: { inputUsdPerMTok: 0.15, outputUsdPerMTok: 0.6 },
    tokenReserveOutput: 100,
    chatLeaseMs: 30_000,
    auditIpPrefix: { v4: 24, v6: 48 },
    auditAuthSuccessIntervalMs: 0,
    corsOrigins: ['https://allowed.example'],
    maxBodyBytes: 4096,
    maxMessageChars: 1000,
    publicConfig: { languages: ['en', 'de', 'fr'], feedback_enabled: false, consent_mode: 'never', limits: { max_message_chars: 1000, session_idle_timeout_seconds: 1800 } },
    ...options.overrides,
  };
  const app = createApp(deps);
  return { app, logs, metrics, audit, limits, apiKeys, deps };
}

/** Listens on an ephemeral loopback port (for fetch-based tests: streaming, concurrency). */
export async function listen(app: express.Express): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
