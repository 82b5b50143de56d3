import type { Express } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { captureLogs, PROMETHEUS_SCRAPE_ACCEPT } from '@parley/testkit';
import { RateLimitedError, ServiceUnavailableError } from './errors.js';
import { Health } from './health.js';
import { addLogBindings, createHttpApp, jsonBody, locals, parseWith } from './http.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';

const bodySchema = z.object({ message: z.string().min(1) });

function build(health = new Health()) {
  const logs = captureLogs();
  const logger = createLogger({ service: 'test-svc', destination: logs.stream });
  const metrics = createMetrics({ defaultMetrics: false });
  const app: Express = createHttpApp({ logger, metrics, health }, (a) => {
    a.post('/api/echo', ...jsonBody({ limit: '1kb' }), (req, res) => {
      res.json(parseWith(bodySchema, req.body));
    });
    a.post('/v1/echo', ...jsonBody(), (req, res) => {
      res.json(parseWith(bodySchema, req.body));
    });
    a.get('/api/whoami', (_req, res) => {
      addLogBindings(res, { principal: 'p-1' });
      locals(res).log.info('handled');
      addLogBindings(res, { step: 2 });
      locals(res).log.info('handled again');
      res.json({});
    });
    a.get('/api/limited', () => {
      throw new RateLimitedError('Slow down.', { retryAfterSeconds: 7 });
    });
    a.get('/api/down', () => {
      throw new ServiceUnavailableError('The model is unavailable.');
    });
    a.get('/api/boom', async () => {
      await Promise.resolve();
      throw new Error('secret internal detail');
    });
  });
  return { app, logs, metrics, health };
}

describe('createHttpApp error mapping', () => {
  it('answers malformed JSON on /api with a 400 problem carrying code and trace_id', async () => {
    const { app } = build();
    const res = await request(app).post('/api/echo').set('content-type', 'application/json').send('{"message": ');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, code: 'invalid_json', type: 'urn:parley:problem:invalid_json', title: 'Invalid request' });
    expect(res.body.trace_id).toMatch(/^[\da-f]{32}$/);
    expect(res.body.detail).toBeTruthy();
  });

  it('rejects a non-JSON content type with 415', async () => {
    const { app } = build();
    const res = await request(app).post('/api/echo').set('content-type', 'text/plain').send('message=hi');
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('unsupported_media_type');
  });

  it('rejects an oversized body with 413', async () => {
    const { app } = build();
    const res = await request(app).post('/api/echo').send({ message: 'x'.repeat(5000) });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('payload_too_large');
  });

  it('names the missing field in a 400 when validation fails', async () => {
    const { app } = build();
    const res = await request(app).post('/api/echo').send({});
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_request');
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'message' })]);
  });

  it('treats a POST without a body as missing fields, not a crash', async () => {
    const { app } = build();
    const res = await request(app).post('/api/echo');
    expect(res.status).toBe(400);
  });

  it('uses the OpenAI error envelope under /v1/', async () => {
    const { app } = build();
    const res = await request(app).post('/v1/echo').set('content-type', 'application/json').send('nope');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: { message: expect.any(String), type: 'invalid_request_error', code: 'invalid_json', param: null, trace_id: expect.any(String) },
    });
  });

  it('sends Retry-After on 429 and 503', async () => {
    const { app } = build();
    const limited = await request(app).get('/api/limited');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('7');
    const down = await request(app).get('/api/down');
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBeDefined();
    expect(down.body.retryable).toBe(true);
  });

  it('hides internal details of unexpected errors but logs them with the trace id', async () => {
    const { app, logs } = build();
    const res = await request(app).get('/api/boom').set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('internal_error');
    expect(JSON.stringify(res.body)).not.toContain('secret internal detail');
    expect(res.body.trace_id).toBe('0af7651916cd43dd8448eb211c80319c');
    const errLine = logs.lines.find((l) => l['msg'] === 'request error');
    expect(errLine).toMatchObject({ level: 'error', service: 'test-svc', code: 'internal_error' });
    expect((errLine?.['err'] as { message: string }).message).toBe('secret internal detail');
  });

  it('answers unknown routes with a 404 problem', async () => {
    const { app } = build();
    const res = await request(app).get('/api/nope');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });
});

describe('request ids and URL limits', () => {
  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const { app, logs } = build();
    const kept = await request(app).post('/api/echo').set('x-request-id', 'abc-123.x').send({ message: 'hi' });
    expect(kept.headers['x-request-id']).toBe('abc-123.x');
    const replaced = await request(app).post('/api/echo').set('x-request-id', 'bad id<script>').send({ message: 'hi' });
    expect(replaced.headers['x-request-id']).toMatch(/^[\da-f-]{36}$/);
    expect(logs.lines.filter((l) => l['msg'] === 'request completed').map((l) => l['request_id'])).toEqual(['abc-123.x', replaced.headers['x-request-id']]);
  });

  it('gives route logs the request id and bindings added along the way', async () => {
    const { app, logs } = build();
    await request(app).get('/api/whoami').set('x-request-id', 'req-7').expect(200);
    expect(logs.lines.find((l) => l['msg'] === 'handled')).toMatchObject({ request_id: 'req-7', principal: 'p-1', component: 'http' });
    expect(logs.lines.find((l) => l['msg'] === 'handled again')).toMatchObject({ request_id: 'req-7', principal: 'p-1', step: 2 });
  });

  it('answers a URL over 8 KiB with 414', async () => {
    const { app } = build();
    const res = await request(app).get(`/api/echo?q=${'a'.repeat(9000)}`);
    expect(res.status).toBe(414);
    expect(res.body.code).toBe('uri_too_long');
  });
});

describe('ops routes', () => {
  it('records request duration by route template and status on /metrics, with a trace exemplar', async () => {
    const { app } = build();
    await request(app).post('/api/echo').send({ message: 'hi' }).expect(200);
    await request(app).post('/api/echo').send({}).expect(400);
    const res = await request(app).get('/metrics').set('accept', PROMETHEUS_SCRAPE_ACCEPT);
    expect(res.headers['content-type']).toContain('application/openmetrics-text');
    expect(res.text).toMatch(/http_server_request_duration_seconds_count\{http_request_method="POST",http_route="\/api\/echo",http_response_status_code="200",url_scheme="http",error_type=""\} 1/);
    expect(res.text).toMatch(/http_server_request_duration_seconds_count\{http_request_method="POST",http_route="\/api\/echo",http_response_status_code="400",url_scheme="http",error_type=""\} 1/);
    expect(res.text).toMatch(/# \{trace_id="[\da-f]{32}"\}/);
  });

  it('answers the classic text format to a scraper that does not ask for OpenMetrics, with the same samples', async () => {
    const { app } = build();
    await request(app).post('/api/echo').send({ message: 'hi' }).expect(200);
    await request(app).get('/api/limited').expect(429);
    const open = await request(app).get('/metrics').set('accept', PROMETHEUS_SCRAPE_ACCEPT);
    for (const accept of [undefined, '*/*', 'text/plain;version=0.0.4', 'application/openmetrics-text;q=0,text/plain']) {
      const req = request(app).get('/metrics');
      const res = await (accept ? req.set('accept', accept) : req);
      expect(res.headers['content-type'], `Accept: ${String(accept)}`).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(res.headers['vary']).toContain('Accept');
      expect(res.text).not.toContain('# EOF');
      expect(res.text).not.toMatch(/ # \{trace_id=/);
      expect(res.text).toMatch(/^http_server_request_duration_seconds_count\{http_request_method="POST",http_route="\/api\/echo",http_response_status_code="200",url_scheme="http",error_type=""\} 1$/m);
    }
    // Counter families carry `_total` in the classic format (OpenMetrics names them without it).
    const text = (await request(app).get('/metrics')).text;
    expect(open.text).toMatch(/^# TYPE otel_spans_exported counter$/m);
    expect(text).toMatch(/^# TYPE otel_spans_exported_total counter$/m);
    expect(text).toMatch(/^otel_spans_exported_total \d+$/m);
    // Same samples: every sample line of the OpenMetrics answer, without its exemplar (the
    // scrapes themselves are counted in between, so /metrics's own series are left out).
    const samples = (body: string) =>
      body
        .split('\n')
        .filter((l) => l && !l.startsWith('#') && !l.includes('http_route="/metrics"'))
        .map((l) => l.replace(/ # \{.*$/, ''));
    expect(samples(text)).toEqual(samples(open.text));
  });

  it('labels server errors with error_type (the status code) and takes url_scheme from the request', async () => {
    const { app } = build();
    await request(app).get('/api/boom').expect(500);
    await request(app).get('/api/down').expect(503);
    await request(app).get('/api/limited').expect(429);
    const res = await request(app).get('/metrics');
    expect(res.text).toMatch(/http_server_request_duration_seconds_count\{http_request_method="GET",http_route="\/api\/boom",http_response_status_code="500",url_scheme="http",error_type="500"\} 1/);
    expect(res.text).toMatch(/http_server_request_duration_seconds_count\{http_request_method="GET",http_route="\/api\/down",http_response_status_code="503",url_scheme="http",error_type="503"\} 1/);
    // A 4xx is the client's error, not the server's: no error_type (OTel sets it for 5xx only).
    expect(res.text).toMatch(/http_server_request_duration_seconds_count\{http_request_method="GET",http_route="\/api\/limited",http_response_status_code="429",url_scheme="http",error_type=""\} 1/);
  });

  it('logs each request with route, status and duration, never the body', async () => {
    const { app, logs } = build();
    await request(app).post('/api/echo').send({ message: 'my private words' }).expect(200);
    const line = logs.lines.find((l) => l['msg'] === 'request completed');
    expect(line).toMatchObject({ service: 'test-svc', http: { method: 'POST', route: '/api/echo', status: 200 } });
    expect(typeof line?.['duration_ms']).toBe('number');
    expect(line?.['trace_id']).toMatch(/^[\da-f]{32}$/);
    expect(logs.text()).not.toContain('my private words');
  });

  it('reports not ready when a check fails or the service drains', async () => {
    const health = new Health();
    let redisUp = true;
    health.addCheck('redis', () => {
      if (!redisUp) throw new Error('down');
    });
    const { app } = build(health);
    await request(app).get('/livez').expect(200);
    await request(app).get('/readyz').expect(200);
    redisUp = false;
    const down = await request(app).get('/readyz');
    expect(down.status).toBe(503);
    expect(down.body.checks).toEqual({ redis: 'failed' });
    redisUp = true;
    health.startDraining();
    const draining = await request(app).get('/readyz');
    expect(draining.status).toBe(503);
    expect(draining.body.checks).toMatchObject({ draining: 'failed' });
    await request(app).get('/livez').expect(200);
  });
});
