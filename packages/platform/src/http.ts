import { randomBytes, randomUUID } from 'node:crypto';
import { context } from '@opentelemetry/api';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import {
  type AppError,
  MethodNotAllowedError,
  NotFoundError,
  UnsupportedMediaTypeError,
  UriTooLongError,
  ValidationError,
  toAppError,
} from './errors.js';
import type { Health } from './health.js';
import type { Logger } from './logger.js';
import { acceptsOpenMetrics, PROMETHEUS_TEXT_CONTENT_TYPE, toPrometheusText, type Metrics } from './metrics.js';
import { routeLabel, type RoutedRequest } from './http-route.js';
import { activeTraceIds } from './trace-context.js';

export type ErrorFormat = 'problem' | 'openai';

export interface HttpAppOptions {
  logger: Logger;
  metrics: Metrics;
  health: Health;
  /** Which error shape a request gets. Default: OpenAI envelope under /v1/, RFC 9457 elsewhere. */
  errorFormat?: (req: Request) => ErrorFormat;
}

/** Locals every request carries; routes read `res.locals.log` for a request-scoped logger. */
export interface ParleyLocals {
  log: Logger;
  traceId: string;
  /** The caller's X-Request-Id when well-formed, else a fresh one; echoed and forwarded. */
  requestId: string;
  /** Set by routes that express cannot see (proxies) so metrics get a bounded route label. */
  httpRoute?: string;
  /** performance.now() when the request arrived. */
  startedAt: number;
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;
const REQUEST_ID = /^[\w.:-]{1,128}$/;
/** Longer URLs get 414 (Node's own header limit answers 431 beyond 16 KiB). */
const MAX_URL_LENGTH = 8_192;

/** The W3C trace id of this request: the active span's, else the caller's traceparent, else a fresh one. */
function requestTraceId(req: Request): string {
  const active = activeTraceIds();
  if (active) return active.trace_id;
  const header = req.headers['traceparent'];
  const match = typeof header === 'string' ? TRACEPARENT.exec(header) : null;
  if (match?.[1] && !/^0+$/.test(match[1])) return match[1];
  return randomBytes(16).toString('hex');
}

interface LazyLog {
  logger: Logger;
  bindings: Record<string, unknown>;
  child?: Logger;
}
const LAZY_LOG = Symbol('parley.lazyLog');
const lazyLog = (res: Response): LazyLog | undefined => (res.locals as Partial<RequestLocals>)[LAZY_LOG];

/**
 * `res.locals` of every request: `log` is created on first use (most requests never log
 * through it, and a pino child is not free). The accessor lives on this class's prototype:
 * one defined per request with fresh closures gave every request its own hidden class, which
 * kept request objects alive through young-generation GCs (measured: 6 ms scavenges every
 * second at 500 req/s, a third of it gone with this class).
 */
class RequestLocals {
  declare [LAZY_LOG]: LazyLog;
  get log(): Logger {
    const lazy = this[LAZY_LOG];
    return (lazy.child ??= lazy.logger.child(lazy.bindings));
  }
  set log(value: Logger) {
    this[LAZY_LOG].child = value;
  }
}

/** Adds fields to the request's logger (principal, ...) without creating it early. */
export function addLogBindings(res: Response, fields: Record<string, unknown>): void {
  const lazy = lazyLog(res);
  if (lazy && !lazy.child) Object.assign(lazy.bindings, fields);
  else locals(res).log = locals(res).log.child(fields);
}

export function locals(res: Response): ParleyLocals {
  return res.locals as ParleyLocals;
}

/** Request logging, RED metrics with trace exemplars, and the request-scoped logger. */
function observe(options: HttpAppOptions): RequestHandler {
  const { logger, metrics } = options;
  return (req, res, next) => {
    const startedAt = performance.now();
    res.locals['startedAt'] = startedAt;
    const ctx = context.active();
    const traceId = requestTraceId(req);
    const presented = req.headers['x-request-id'];
    const requestId = typeof presented === 'string' && REQUEST_ID.test(presented) ? presented : randomUUID();
    // Normalised in place so a proxied request forwards the same, safe id.
    req.headers['x-request-id'] = requestId;
    res.setHeader('X-Request-Id', requestId);
    res.locals['traceId'] = traceId;
    res.locals['requestId'] = requestId;
    const requestLocals = Object.assign(new RequestLocals(), res.locals);
    requestLocals[LAZY_LOG] = { logger, bindings: { component: 'http', request_id: requestId } };
    res.locals = requestLocals as unknown as Response['locals'];
    res.once('close', () => {
      const seconds = (performance.now() - startedAt) / 1000;
      const route = routeLabel(req as RoutedRequest, res);
      const labels = {
        http_request_method: metrics.methodLabel(req.method),
        http_route: route,
        http_response_status_code: String(res.statusCode),
        url_scheme: req.protocol,
        error_type: res.statusCode >= 500 ? String(res.statusCode) : '',
      };
      metrics.httpServerDuration.observe({ labels, value: seconds, exemplarLabels: { trace_id: traceId } });
      const aborted = !res.writableFinished;
      if (req.path === '/metrics' || req.path === '/livez' || req.path === '/readyz') return;
      context.with(ctx, () => {
        const fields = {
          request_id: requestId,
          http: { method: req.method, route, status: res.statusCode },
          duration_ms: Math.round(seconds * 1000),
          ...(aborted ? { aborted: true } : {}),
          ...(activeTraceIds() ? {} : { trace_id: traceId }),
        };
        if (res.statusCode >= 500) logger.error(fields, 'request failed');
        else logger.info(fields, 'request completed');
      });
    });
    if (req.originalUrl.length > MAX_URL_LENGTH) {
      next(new UriTooLongError(`The URL is longer than ${MAX_URL_LENGTH} characters.`));
      return;
    }
    next();
  };
}

function opsRoutes(options: HttpAppOptions): express.Router {
  const router = express.Router();
  router.get('/livez', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await options.health.readiness();
    res.status(report.ready ? 200 : 503);
    if (!report.ready) res.setHeader('Retry-After', '5');
    res.json({ status: report.ready ? 'ready' : 'not_ready', checks: report.checks });
  });
  // Content negotiation: OpenMetrics (with exemplars) for scrapers that ask for it, as
  // Prometheus does; the classic text format for everything else (curl, promtool, old agents).
  router.get('/metrics', async (req, res) => {
    const registry = options.metrics.registry;
    const openMetrics = await registry.metrics();
    res.setHeader('Vary', 'Accept');
    if (acceptsOpenMetrics(req.headers.accept)) {
      res.setHeader('Content-Type', registry.contentType);
      res.send(openMetrics);
    } else {
      res.setHeader('Content-Type', PROMETHEUS_TEXT_CONTENT_TYPE);
      res.send(toPrometheusText(openMetrics));
    }
  });
  return router;
}

const OPENAI_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  405: 'invalid_request_error',
  406: 'invalid_request_error',
  409: 'invalid_request_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  429: 'rate_limit_error',
};

/** OpenAI's `param`: the first field a validation error names, else null. */
function firstInvalidParam(error: AppError): string | null {
  const errors = error.extensions['errors'];
  const path = Array.isArray(errors) ? (errors[0] as { path?: unknown } | undefined)?.path : undefined;
  return typeof path === 'string' && path.length > 0 ? path : null;
}

export function defaultErrorFormat(req: Request): ErrorFormat {
  return req.path.startsWith('/v1/') ? 'openai' : 'problem';
}

/** Writes `error` in the shape the request expects (RFC 9457 problem or OpenAI envelope). */
export function sendError(req: Request, res: Response, error: AppError, format: ErrorFormat): void {
  const traceId = locals(res).traceId ?? requestTraceId(req);
  if (error.retryAfterSeconds !== undefined) {
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  } else if (error.status === 429 || error.status === 503) {
    res.setHeader('Retry-After', '1');
  }
  if (error.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  res.status(error.status);
  if (format === 'openai') {
    res.json({
      error: {
        message: error.detail,
        type: OPENAI_TYPES[error.status] ?? 'server_error',
        code: error.code,
        param: firstInvalidParam(error),
        trace_id: traceId,
      },
    });
    return;
  }
  res.type('application/problem+json').send(
    JSON.stringify({
      ...error.extensions,
      type: `urn:parley:problem:${error.code}`,
      title: error.title,
      status: error.status,
      detail: error.detail,
      code: error.code,
      retryable: error.retryable,
      trace_id: traceId,
      instance: req.originalUrl.split('?')[0],
    }),
  );
}

function errorHandler(options: HttpAppOptions) {
  const format = options.errorFormat ?? defaultErrorFormat;
  // Express recognises error handlers by their four parameters.
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const error = toAppError(err);
    const log = locals(res).log ?? options.logger;
    if (error.status >= 500) log.error({ err, code: error.code }, 'request error');
    else log.info({ code: error.code, status: error.status }, 'request rejected');
    if (res.headersSent) {
      // A stream already started: the route owns its terminal event; make sure the socket ends.
      res.end();
      return;
    }
    sendError(req, res, error, format(req));
  };
}

/**
 * Builds an Express app with the shared plumbing around the service's routes:
 * observability first, then /livez, /readyz, /metrics, then `mount`, then 404 and the error handler.
 */
export function createHttpApp(options: HttpAppOptions, mount: (app: Express) => void): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(observe(options));
  app.use(opsRoutes(options));
  mount(app);
  app.use((req, _res, next) => {
    next(new NotFoundError(`No route for ${req.method} ${req.path}.`));
  });
  app.use(errorHandler(options));
  return app;
}

/** 405 for a path that exists with other methods. */
export function methodNotAllowed(allowed: readonly string[]): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('Allow', allowed.join(', '));
    next(new MethodNotAllowedError(`Allowed methods: ${allowed.join(', ')}.`));
  };
}

export interface JsonBodyOptions {
  /** Largest body accepted: bytes, or a string such as '64kb'. */
  limit?: string | number;
}

/** Requires `application/json` when a body is present (415 otherwise) and parses it strictly. */
export function jsonBody(options: JsonBodyOptions = {}): RequestHandler[] {
  const parse = express.json({ limit: options.limit ?? '64kb', strict: true, type: ['application/json', 'application/*+json'] });
  const requireJson: RequestHandler = (req, _res, next) => {
    const type = req.is(['application/json', 'application/*+json']);
    if (type === null || req.headers['content-length'] === '0') {
      // No body at all: routes decide whether one was required.
      next();
      return;
    }
    if (type === false) {
      next(new UnsupportedMediaTypeError('Send the body as application/json.'));
      return;
    }
    next();
  };
  return [requireJson, parse];
}

/** User text: well-formed Unicode (no lone surrogates) without NUL characters. */
export function textSchema(options: { min?: number; max: number }) {
  return z
    .string()
    .refine((s) => s.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)')
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')
    .refine((s) => s.trim().length >= (options.min ?? 1), 'must not be empty')
    .refine((s) => s.length <= options.max, `must be at most ${options.max} characters`);
}

/** Validates `value` with `schema`, turning zod issues into a 400 that names each field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what = 'request body'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = errors[0];
  const summary = first ? `${first.path || what}: ${first.message}` : 'invalid';
  throw new ValidationError(`Invalid ${what}: ${summary}.`, { extensions: { errors } });
}
