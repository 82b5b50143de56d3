import { context, trace } from '@opentelemetry/api';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, startUpstream, type Upstream } from './harness.js';
import { installInMemoryTracing, type InMemoryTracing } from '@parley/testkit';

/**
 * The decisions a security reviewer follows in traces (issue 7): the gateway notes them on the
 * active server span. In production the http instrumentation makes that span; here a wrapper
 * does, so the test sees exactly what the gateway set, and never a credential.
 */
let tracing: InMemoryTracing;

let upstream: Upstream;
beforeAll(async () => {
  tracing = installInMemoryTracing();
  upstream = await startUpstream();
});
afterAll(async () => {
  tracing.uninstall();
  await upstream.close();
});

/** The gateway behind a stand-in server span, like the one the http instrumentation starts. */
function traced(overrides: Parameters<typeof buildGateway>[0]['overrides'] = {}) {
  const gateway = buildGateway({ chatServiceUrl: upstream.url, overrides });
  const outer = express();
  outer.use((req, res, next) => {
    const span = trace.getTracer('test').startSpan(`${req.method} ${req.path}`);
    res.once('finish', () => span.end());
    context.with(trace.setSpan(context.active(), span), next);
  });
  outer.use(gateway.app);
  return { ...gateway, app: outer };
}

/** Attributes of the span of the last request to `path`. */
async function spanOf(path: string) {
  const spans = tracing.exporter.getFinishedSpans().filter((s) => s.name.endsWith(path));
  expect(spans.length, `a span for ${path}`).toBeGreaterThan(0);
  return spans.at(-1)!.attributes;
}

describe('decision attributes on the gateway server span', () => {
  it('records a rate-limit rejection with its policy, and the pseudonymous principal, never the token', async () => {
    const { app } = traced({ rates: { ip: { name: 'ip', limit: 10_000, windowSeconds: 60 }, session: { name: 'session', limit: 1, windowSeconds: 60 }, apiKey: { name: 'api_key', limit: 10_000, windowSeconds: 60 } } });
    const { token, session_id: sessionId } = (await request(app).post('/api/v1/sessions').send({})).body as { token: string; session_id: string };
    expect((await request(app).get('/api/v1/history').set('authorization', `Bearer ${token}`)).status).toBe(200);
    expect(await spanOf('/api/v1/history')).toMatchObject({ 'parley.auth.outcome': 'success', 'parley.ratelimit.outcome': 'admitted', 'enduser.pseudo.id': sessionId, 'parley.principal.kind': 'session' });

    expect((await request(app).get('/api/v1/history').set('authorization', `Bearer ${token}`)).status).toBe(429);
    const rejected = await spanOf('/api/v1/history');
    expect(rejected).toMatchObject({ 'parley.ratelimit.outcome': 'rejected', 'parley.ratelimit.policy': 'session', 'enduser.pseudo.id': sessionId });
    expect(JSON.stringify(tracing.exporter.getFinishedSpans().map((s) => s.attributes))).not.toContain(token);
  });

  it('records a kill-switch refusal of a chat turn as a budget rejection with policy kill_switch', async () => {
    const { app, limits } = traced();
    await limits.setKillSwitch({ enabled: true, reason: 'incident drill' });
    const { token } = (await request(app).post('/api/v1/sessions').send({})).body as { token: string };
    const res = await request(app).post('/api/v1/chat').set('authorization', `Bearer ${token}`).send({ message: 'hello' });
    expect(res.status).toBe(503);
    expect(await spanOf('/api/v1/chat')).toMatchObject({ 'parley.budget.outcome': 'rejected', 'parley.budget.policy': 'kill_switch' });
  });

  it('records a failed authentication with its reason and no principal', async () => {
    const { app } = traced();
    expect((await request(app).get('/api/v1/history').set('authorization', 'Bearer pst_forged.token')).status).toBe(401);
    const failed = await spanOf('/api/v1/history');
    expect(failed).toMatchObject({ 'parley.auth.outcome': 'failure', 'parley.auth.failure_reason': expect.any(String) });
    expect(failed['enduser.pseudo.id']).toBeUndefined();
    expect(JSON.stringify(failed)).not.toContain('pst_forged');
  });
});
