import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { STATUS_CODES, createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Health } from './health.js';
import type { Logger } from './logger.js';

export type ShutdownHook = () => Promise<void> | void;

export interface RunServerOptions {
  handler: RequestListener;
  port: number;
  host: string;
  logger: Logger;
  health: Health;
  /** How long to wait for in-flight requests and streams before closing them. */
  drainTimeoutMs: number;
  /** Run when shutdown starts, before draining: release work held open on purpose. */
  onDrain?: (() => void)[];
  /** Run after the server stopped taking requests: close Redis, flush telemetry... */
  onShutdown?: ShutdownHook[];
  /** Signals that start a graceful shutdown. */
  signals?: NodeJS.Signals[];
  /** Slow-client protection; defaults suit a service behind a load balancer. */
  timeouts?: { headersMs?: number; requestMs?: number; keepAliveMs?: number };
}

const CLIENT_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: 'headers_too_large', detail: 'The request line or headers are too large.' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'request_timeout', detail: 'The request was not received in time.' },
};

/**
 * Errors Node's HTTP parser raises before any route runs (oversized headers, invalid
 * characters, slow clients) still get an RFC 9457 problem, not a bare status line.
 */
function answerClientError(err: Error & { code?: string }, socket: Socket, logger: Logger): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const known = (err.code && CLIENT_ERRORS[err.code]) || { status: 400, code: 'bad_request', detail: 'The request is not valid HTTP.' };
  const body = JSON.stringify({
    type: `urn:parley:problem:${known.code}`,
    title: STATUS_CODES[known.status],
    status: known.status,
    detail: known.detail,
    code: known.code,
    retryable: false,
    trace_id: randomBytes(16).toString('hex'),
  });
  logger.info({ code: known.code, status: known.status, parser_error: err.code }, 'client error');
  socket.end(
    `HTTP/1.1 ${known.status} ${STATUS_CODES[known.status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export interface RunningServer {
  server: Server;
  url: string;
  /** Graceful shutdown; resolves when everything is closed. Safe to call twice. */
  shutdown(reason?: string): Promise<void>;
}

/**
 * Listens and handles SIGTERM/SIGINT: readiness flips to 503, the listener closes, idle
 * keep-alive sockets close, in-flight requests (streams included) get `drainTimeoutMs`
 * to finish, then remaining sockets are destroyed and the hooks run. Only main.ts calls this.
 */
export async function runServer(options: RunServerOptions): Promise<RunningServer> {
  const { logger, health } = options;
  const headersMs = options.timeouts?.headersMs ?? 10_000;
  // Node checks these timeouts on an interval (30 s by default): check often enough to matter.
  const server = createServer({ connectionsCheckingInterval: Math.max(50, Math.min(1_000, headersMs / 2)) }, options.handler);
  // requestTimeout bounds receiving the request only: long SSE responses are not affected.
  server.headersTimeout = headersMs;
  server.requestTimeout = options.timeouts?.requestMs ?? 30_000;
  server.keepAliveTimeout = options.timeouts?.keepAliveMs ?? 65_000;
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => answerClientError(err, socket, logger));

  let inFlight = 0;
  let drained: (() => void) | undefined;
  server.on('request', (_req, res) => {
    // Instrumentation, proxy, metrics and drain each watch 'close': a dozen listeners is normal
    // here, and Node's leak warning (a stack trace per response) would cost more than the request.
    res.setMaxListeners(32);
    inFlight += 1;
    if (health.isDraining) res.setHeader('Connection', 'close');
    res.once('close', () => {
      inFlight -= 1;
      if (inFlight === 0) drained?.();
    });
  });

  server.listen(options.port, options.host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  logger.info({ port: address.port, host: options.host }, 'listening');

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason = 'shutdown'): Promise<void> => {
    shuttingDown ??= (async () => {
      const started = Date.now();
      logger.info({ reason, in_flight: inFlight, drain_timeout_ms: options.drainTimeoutMs }, 'shutting down: draining');
      health.startDraining();
      for (const hook of options.onDrain ?? []) hook();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        const allDone = new Promise<void>((resolve) => {
          drained = resolve;
        });
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          allDone.then(() => false),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(true), options.drainTimeoutMs);
          }),
        ]);
        clearTimeout(timer);
        if (timedOut) logger.warn({ in_flight: inFlight }, 'drain timeout: closing remaining connections');
      }
      server.closeAllConnections();
      await closed;
      for (const hook of options.onShutdown ?? []) {
        try {
          await hook();
        } catch (err) {
          logger.error({ err }, 'shutdown hook failed');
        }
      }
      logger.info({ duration_ms: Date.now() - started }, 'shut down');
    })();
    return shuttingDown;
  };

  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) {
    process.once(signal, () => {
      void shutdown(signal).then(
        () => process.exit(0),
        (err: unknown) => {
          logger.fatal({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
  return { server, url, shutdown };
}
