import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import {
  IDENTITY_HEADER,
  PayloadTooLargeError,
  ServiceUnavailableError,
  defaultErrorFormat,
  locals,
  sendError,
  type IdentitySigner,
  type Logger,
} from '@parley/platform';
import type { SessionService } from '../domain/sessions.js';

export interface ChatProxyOptions {
  target: string;
  sessions: SessionService;
  signer: IdentitySigner;
  logger: Logger;
  /** Bodies larger than this are refused at the edge before anything is forwarded. */
  maxBodyBytes: number;
}

/** Headers a client must never be able to set on the way in. */
const STRIPPED = ['authorization', 'cookie', IDENTITY_HEADER];

function bearer(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header?.startsWith('Bearer ')) return undefined;
  return header.slice('Bearer '.length).trim();
}

/**
 * Session-authenticated routes forwarded to chat-service. No body parser runs here: the
 * body streams through untouched (a parsed body would leave the proxied POST hanging),
 * and so does the SSE response.
 */
export function chatProxyRoutes(options: ChatProxyOptions): Router {
  const log = options.logger.child({ component: 'proxy' });

  const authenticate =
    (route: string): RequestHandler =>
    async (req, res, next) => {
      locals(res).httpRoute = route;
      const length = Number(req.headers['content-length'] ?? 0);
      if (length > options.maxBodyBytes) throw new PayloadTooLargeError(`The request body is larger than ${options.maxBodyBytes} bytes.`);
      const session = await options.sessions.authenticate(bearer(req));
      const identity = await options.signer.sign({ sub: session.id, kind: 'session', role: 'user', lang: session.language }, 'chat-service');
      for (const name of STRIPPED) delete req.headers[name];
      req.headers[IDENTITY_HEADER] = identity;
      next();
    };

  const proxy = createProxyMiddleware<Request, Response>({
    target: options.target,
    changeOrigin: true,
    xfwd: true,
    // Never time out a live stream here; chat-service owns deadlines.
    proxyTimeout: 0,
    on: {
      error: (err: Error, req: IncomingMessage, res: ServerResponse | Socket) => {
        log.error({ err }, 'chat-service unreachable');
        const response = res as Response;
        if (!('setHeader' in res) || response.headersSent) {
          res.destroy();
          return;
        }
        const request = req as Request;
        sendError(
          request,
          response,
          new ServiceUnavailableError('The chat service is unavailable; try again shortly.', { retryAfterSeconds: 5 }),
          defaultErrorFormat(request),
        );
      },
    },
  });

  const router = Router();
  router.post('/api/v1/chat', authenticate('/api/v1/chat'), proxy as RequestHandler);
  router.get('/api/v1/history', authenticate('/api/v1/history'), proxy as RequestHandler);
  return router;
}
