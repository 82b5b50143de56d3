import type { Request, Response } from 'express';
import { IDENTITY_HEADER, ServiceUnavailableError, UpstreamError, UpstreamTimeoutError, locals, type IdentitySigner, type Logger } from '@parley/platform';
import { internalIdentityOf } from '../auth/access.js';
import type { GatewayMetrics } from '../gateway-metrics.js';

export interface ChatServiceRelayOptions {
  target: string;
  signer: IdentitySigner;
  logger: Logger;
  metrics: GatewayMetrics;
  /** The whole call, answer included. */
  timeoutMs: number;
  /** Injected for tests; global fetch by default. */
  fetch?: typeof fetch;
}

export interface ChatServiceCall {
  /** Route template for the gateway's overhead and upstream metrics. */
  route: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** Path and query on chat-service. */
  path: string;
  /** Sent as JSON: the body as validated at the edge, never the client's bytes. */
  body?: unknown;
}

export interface UpstreamReply {
  status: number;
  headers: Headers;
  text: string;
}

/** Headers of chat-service's answer that reach the client. */
const RELAYED = ['content-type', 'retry-after'];

/**
 * Small JSON calls to chat-service as the request's principal, for routes that validate at
 * the edge and then read or pass on the answer. Like the chat proxy's `forward`, chat-service
 * gets the signed identity, the request id and the client address, and no header the client
 * chose (so no credential and no identity of its own). Trace context travels with fetch.
 */
export function createChatServiceRelay(options: ChatServiceRelayOptions) {
  const log = options.logger.child({ component: 'proxy' });
  const doFetch = options.fetch ?? fetch;

  return {
    async call(req: Request, res: Response, call: ChatServiceCall): Promise<UpstreamReply> {
      const headers: Record<string, string> = {
        [IDENTITY_HEADER]: await options.signer.sign(internalIdentityOf(res), 'chat-service'),
        accept: 'application/json',
        'x-request-id': locals(res).requestId,
        'x-forwarded-for': req.ip ?? req.socket.remoteAddress ?? '',
        'x-forwarded-proto': req.protocol,
      };
      if (call.body !== undefined) headers['content-type'] = 'application/json';
      options.metrics.overhead.observe({ labels: { http_route: call.route }, value: (performance.now() - locals(res).startedAt) / 1000, exemplarLabels: { trace_id: locals(res).traceId } });
      const started = performance.now();
      let reply: UpstreamReply;
      try {
        const upstream = await doFetch(new URL(call.path, options.target), {
          method: call.method,
          headers,
          ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        reply = { status: upstream.status, headers: upstream.headers, text: await upstream.text() };
      } catch (err) {
        if ((err as { name?: unknown }).name === 'TimeoutError') {
          log.error({ err }, 'chat-service timed out');
          throw new UpstreamTimeoutError('The chat service did not answer in time.', { cause: err });
        }
        log.error({ err }, 'chat-service unreachable');
        throw new ServiceUnavailableError('The chat service is unavailable; try again shortly.', { cause: err, retryAfterSeconds: 5 });
      }
      options.metrics.upstream.observe({
        labels: { http_route: call.route, http_response_status_code: String(reply.status) },
        value: (performance.now() - started) / 1000,
        exemplarLabels: { trace_id: locals(res).traceId },
      });
      // The identity we signed was refused: a deployment fault (INTERNAL_SECRET differs), not the client's.
      if (reply.status === 401) {
        log.error({ status: reply.status }, 'chat-service refused the internal identity');
        throw new UpstreamError('The chat service refused the gateway; check that INTERNAL_SECRET matches.');
      }
      return reply;
    },

    /** Sends chat-service's answer on as it is: status, JSON or problem body, Retry-After. */
    send(res: Response, reply: UpstreamReply): void {
      for (const name of RELAYED) {
        const value = reply.headers.get(name);
        if (value !== null) res.setHeader(name, value);
      }
      res.status(reply.status).send(reply.text);
    },
  };
}

export type ChatServiceRelay = ReturnType<typeof createChatServiceRelay>;
