import { Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { context, propagation } from '@opentelemetry/api';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { createProxyMiddleware, fixRequestBody } from 'http-proxy-middleware';
import { z } from 'zod';
import {
  ForbiddenError,
  IDENTITY_HEADER,
  KillSwitchError,
  chatCompletionRequestSchema,
  RateLimitedError,
  ServiceUnavailableError,
  UpstreamTimeoutError,
  defaultErrorFormat,
  jsonBody,
  locals,
  parseWith,
  sendError,
  textSchema,
  type IdentitySigner,
  type Logger,
} from '@parley/platform';
import { internalIdentityOf, noteSpanAttributes, noteTokenDecision, principalOf, type Access } from '../auth/access.js';
import type { AuditRecorder } from '../auth/audit-recorder.js';
import type { GatewayMetrics } from '../gateway-metrics.js';
import type { BudgetPolicy, LimitStore } from '../limits/index.js';
import { tapTurnReport, type TurnReport } from '../proxy/usage-tap.js';

export interface ChatProxyOptions {
  target: string;
  signer: IdentitySigner;
  logger: Logger;
  access: Access;
  audit: AuditRecorder;
  limits: LimitStore;
  metrics: GatewayMetrics;
  budgets: { session: BudgetPolicy; apiKey: BudgetPolicy; cost: BudgetPolicy };
  pricing: { inputUsdPerMTok: number; outputUsdPerMTok: number };
  /** Output tokens reserved before the real usage is known. */
  tokenReserveOutput: number;
  chatLeaseMs: number;
  upstreamTimeoutMs: number;
  maxBodyBytes: number;
  maxMessageChars: number;
  /** OpenAI-compatible API limits (shared schema with chat-service). */
  openAi: { maxMessages: number; maxTokens: number };
}

/** Headers a client must never set on the way in: credentials, our identity, and forwarding claims. */
const STRIPPED = ['authorization', 'cookie', IDENTITY_HEADER, 'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-real-ip'];

interface ProxyLocals {
  proxyStarted?: number;
  upstreamTimedOut?: boolean;
  /** Set by admission: the reply's usage and safety decision must be read. */
  settles?: boolean;
  tap?: { report(): TurnReport };
}

/** Micro-dollars, so budgets stay integers. */
const microUsd = (tokens: number, usdPerMTok: number) => Math.ceil(tokens * usdPerMTok);

/**
 * Routes forwarded to chat-service. Chat bodies are validated here (zod, strict) and
 * re-sent as parsed; other bodies stream through untouched, and so do SSE responses.
 */
export function chatProxyRoutes(options: ChatProxyOptions): Router {
  const { access, audit, limits } = options;
  const log = options.logger.child({ component: 'proxy' });
  const chatBody = z.strictObject({
    message: textSchema({ max: options.maxMessageChars }),
    language: z.enum(['en', 'de', 'fr']).optional(),
  });

  /** Signs the principal for chat-service and replaces every client-controlled forwarding header. */
  const forward =
    (route: string): RequestHandler =>
    async (req, res, next) => {
      locals(res).httpRoute = route;
      const identity = await options.signer.sign(internalIdentityOf(res), 'chat-service');
      for (const name of STRIPPED) delete req.headers[name];
      req.headers[IDENTITY_HEADER] = identity;
      req.headers['x-forwarded-for'] = req.ip ?? req.socket.remoteAddress ?? '';
      req.headers['x-forwarded-proto'] = req.protocol;
      // W3C trace context of this request's span (the caller's traceparent is replaced): the
      // gateway makes no CLIENT span for the proxied call (see src/instrumentation.ts).
      propagation.inject(context.active(), req.headers);
      (res.locals as ProxyLocals).proxyStarted = performance.now();
      next();
    };

  const proxy = createProxyMiddleware<Request, Response>({
    target: options.target,
    // Its own keep-alive agent without a socket cap: httpxy's default agent allows 256 sockets,
    // and an open stream holds one for its whole length, so a 257th stream (or any request
    // behind 256 streams) queued until its signed identity expired (test/chaos/held-streams).
    // Concurrency is bounded by the admission limits (one turn per session, rate limits).
    agent: new Agent({ keepAlive: true, maxFreeSockets: 256 }),
    changeOrigin: true,
    xfwd: false,
    // Inactivity limit; live streams send a heartbeat comment every 15 s.
    proxyTimeout: options.upstreamTimeoutMs,
    on: {
      proxyReq: (proxyReq, req, res) => {
        options.metrics.overhead.observe({
          labels: { http_route: locals(res).httpRoute ?? 'other' },
          value: (performance.now() - locals(res).startedAt) / 1000,
          exemplarLabels: { trace_id: locals(res).traceId },
        });
        // httpxy destroys the request on its proxyTimeout; the error it then reports is a plain reset.
        proxyReq.once('timeout', () => {
          (res.locals as ProxyLocals).upstreamTimedOut = true;
        });
        fixRequestBody(proxyReq, req);
      },
      proxyRes: (proxyRes, _req, res) => {
        const state = res.locals as ProxyLocals;
        const route = locals(res).httpRoute ?? 'other';
        if (state.proxyStarted !== undefined) {
          options.metrics.upstream.observe({
            labels: { http_route: route, http_response_status_code: String(proxyRes.statusCode ?? 0) },
            value: (performance.now() - state.proxyStarted) / 1000,
            exemplarLabels: { trace_id: locals(res).traceId },
          });
        }
        // Only admitted chat turns settle budgets from the reply; other replies are not read.
        if (state.settles) state.tap = tapTurnReport(proxyRes);
      },
      error: (err: Error & { code?: string }, req: IncomingMessage, res: ServerResponse | Socket) => {
        const response = res as Response;
        if (!('setHeader' in res) || response.headersSent) {
          log.warn({ err }, 'upstream failed mid-response');
          res.destroy();
          return;
        }
        const timedOut = (response.locals as ProxyLocals).upstreamTimedOut === true;
        log.error({ err }, timedOut ? 'chat-service timed out' : 'chat-service unreachable');
        const request = req as Request;
        sendError(
          request,
          response,
          timedOut
            ? new UpstreamTimeoutError('The chat service did not answer in time.')
            : new ServiceUnavailableError('The chat service is unavailable; try again shortly.', { retryAfterSeconds: 5 }),
          defaultErrorFormat(request),
        );
      },
    },
  });

  /**
   * Kill switch, one turn at a time, the token budget and the global cost budget, in one
   * atomic step (one Redis round trip); ended with the real usage, in one step, when the reply ends.
   */
  const admit = (estimate: (body: unknown) => { input: number; output: number }): RequestHandler => async (req, res, next) => {
    const principal = principalOf(res);
    const { input: inputEstimate, output: outputReserve } = estimate(req.body);
    const tokensPolicy = principal.kind === 'session' ? options.budgets.session : options.budgets.apiKey;
    const subject = `${principal.kind}:${principal.id}`;
    const admission = await limits.admit({
      // A UI session sends one message at a time; API clients may run requests in parallel (rate limits and budgets bound them).
      lease: principal.kind === 'session' ? { name: 'chat', subject, ttlMs: options.chatLeaseMs } : undefined,
      budgets: [
        { policy: tokensPolicy, subject, amount: inputEstimate + outputReserve },
        {
          policy: options.budgets.cost,
          subject: 'global',
          amount: microUsd(inputEstimate, options.pricing.inputUsdPerMTok) + microUsd(outputReserve, options.pricing.outputUsdPerMTok),
        },
      ],
    });
    if (!admission.admitted) {
      if (admission.refusal === 'kill_switch') {
        noteSpanAttributes({ 'parley.budget.outcome': 'rejected', 'parley.budget.policy': 'kill_switch' });
        const reason = admission.killSwitch.reason;
        throw new KillSwitchError(`Chat is switched off by an operator${reason ? `: ${reason}` : ''}.`, { retryAfterSeconds: 60 });
      }
      if (admission.refusal === 'lease') {
        noteSpanAttributes({ 'parley.budget.outcome': 'rejected', 'parley.budget.policy': 'concurrency:chat' });
        audit.recordLater(req, res, { type: 'ratelimit.rejected', principal: principal.id, principal_kind: principal.kind, outcome: 'rejected', reason: 'concurrency:chat' });
        throw new TooManyConcurrentError('Wait for the current reply before sending the next message.', { retryAfterSeconds: 1 });
      }
      const { refused } = admission;
      if (refused.policy.name === tokensPolicy.name) noteTokenDecision(res, refused);
      const isCost = refused.policy.name === options.budgets.cost.name;
      noteSpanAttributes({ 'parley.budget.outcome': 'rejected', 'parley.budget.policy': isCost ? 'cost:global' : `tokens:${tokensPolicy.name}` });
      audit.recordLater(req, res, {
        type: 'budget.rejected',
        principal: principal.id,
        principal_kind: principal.kind,
        outcome: 'rejected',
        reason: isCost ? 'cost:global' : `tokens:${tokensPolicy.name}`,
      });
      throw isCost
        ? new CostBudgetError('The daily spending limit is reached; chat resumes at midnight UTC.', { retryAfterSeconds: refused.resetSeconds })
        : new TokenBudgetError(`The daily token budget (${tokensPolicy.limit}) is used up; it resets at midnight UTC.`, { retryAfterSeconds: refused.resetSeconds });
    }
    noteSpanAttributes({ 'parley.budget.outcome': 'admitted' });
    const [tokens] = admission.decisions;
    if (tokens) noteTokenDecision(res, tokens);
    if (res.closed) {
      // The client left while we were admitting it: nothing stays held for it.
      await admission.finish(null);
      return;
    }
    (res.locals as ProxyLocals).settles = true;
    res.once('close', () => {
      const report = (res.locals as ProxyLocals).tap?.report() ?? {};
      void settle(req, res, report, admission.finish);
    });
    next();
  };

  /** Settles what was admitted with the real usage (or releases it), frees the slot, records safety decisions. */
  const settle = async (req: Request, res: Response, report: TurnReport, finish: (actuals: number[] | null) => Promise<void>): Promise<void> => {
    try {
      if (report.usage) {
        const { input_tokens: input, output_tokens: output } = report.usage;
        // chat-service prices the model that answered (a fallback may cost more or less); the flat price is the fallback.
        const cost = report.costUsd !== undefined ? Math.ceil(report.costUsd * 1_000_000) : microUsd(input, options.pricing.inputUsdPerMTok) + microUsd(output, options.pricing.outputUsdPerMTok);
        await finish([input + output, cost]);
      } else if (res.statusCode >= 200 && res.statusCode < 300) {
        // A reply that ended without usage (client gone, stream error) may still have cost tokens: keep the reservations.
        await finish([]);
      } else {
        await finish(null);
      }
    } catch (err) {
      log.error({ err }, 'ending the chat turn in the limit store failed');
    }
    if (report.safety === 'block' || report.safety === 'redact') {
      const principal = principalOf(res);
      audit.recordLater(req, res, {
        type: report.safety === 'block' ? 'safety.blocked' : 'safety.redacted',
        principal: principal.id,
        principal_kind: principal.kind,
        outcome: report.safety === 'block' ? 'denied' : 'success',
        reason: 'safety_policy',
      });
    }
  };

  const validate =
    (schema: z.ZodType): RequestHandler =>
    (req, _res, next) => {
      req.body = parseWith(schema, req.body);
      next();
    };

  /** The OpenAI-compatible API is for programmatic clients: API keys (or OIDC tokens), not UI sessions. */
  const requireApiClient: RequestHandler = (_req, res, next) => {
    if (principalOf(res).kind === 'session') throw new ForbiddenError('The OpenAI-compatible API takes an API key, not a UI session token.');
    next();
  };

  const chatEstimate = (body: unknown) => ({ input: Math.ceil((body as { message: string }).message.length / 4) + 64, output: options.tokenReserveOutput });
  const completionEstimate = (body: unknown) => {
    const b = body as { messages: { content: string }[]; max_tokens?: number | null; max_completion_tokens?: number | null };
    const chars = b.messages.reduce((n, m) => n + m.content.length, 0);
    return { input: Math.ceil(chars / 4) + 4 * b.messages.length + 64, output: b.max_completion_tokens ?? b.max_tokens ?? options.tokenReserveOutput };
  };

  const router = Router();
  const common = [access.authenticate(), access.limitByPrincipal()];
  const body = jsonBody({ limit: options.maxBodyBytes });
  router.post('/api/v1/chat', ...common, ...body, validate(chatBody), admit(chatEstimate), forward('/api/v1/chat'), proxy as RequestHandler);
  router.get('/api/v1/history', ...common, forward('/api/v1/history'), proxy as RequestHandler);
  const completionBody = chatCompletionRequestSchema({ maxMessageChars: options.maxMessageChars, ...options.openAi });
  router.post('/v1/chat/completions', ...common, requireApiClient, ...body, validate(completionBody), admit(completionEstimate), forward('/v1/chat/completions'), proxy as RequestHandler);
  router.get('/v1/models', ...common, requireApiClient, forward('/v1/models'), proxy as RequestHandler);
  router.get('/v1/models/:id', ...common, requireApiClient, forward('/v1/models/:id'), proxy as RequestHandler);
  return router;
}

/** One chat request per session at a time (the UI sends one message at a time; the server enforces it). */
export class TooManyConcurrentError extends RateLimitedError {
  override readonly code = 'concurrent_request';
}

export class TokenBudgetError extends RateLimitedError {
  override readonly code = 'token_budget_exceeded';
}

export class CostBudgetError extends ServiceUnavailableError {
  override readonly code = 'cost_budget_exceeded';
}
