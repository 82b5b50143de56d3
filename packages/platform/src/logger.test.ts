import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { captureLogs } from '@parley/testkit';
import { createLogger } from './logger.js';

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});

describe('createLogger', () => {
  it('writes JSON lines with service, level label and ISO time', () => {
    const logs = captureLogs();
    createLogger({ service: 'gateway', destination: logs.stream }).info({ model: 'm' }, 'hello');
    expect(logs.lines[0]).toMatchObject({ service: 'gateway', level: 'info', msg: 'hello', model: 'm' });
    expect(String(logs.lines[0]?.['time'])).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('redacts authorization headers, tokens and keys wherever they appear', () => {
    const logs = captureLogs();
    const log = createLogger({ service: 'gateway', destination: logs.stream });
    log.info({ req: { headers: { authorization: 'Bearer sk-live-abc' } }, token: 'tok-123', key: { apiKey: 'k-456' } }, 'x');
    expect(logs.text()).not.toMatch(/sk-live-abc|tok-123|k-456/);
    expect(logs.text()).toContain('[REDACTED]');
  });

  it('adds trace_id and span_id of the active span', () => {
    const logs = captureLogs();
    const log = createLogger({ service: 'gateway', destination: logs.stream });
    const spanContext = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 };
    context.with(trace.setSpanContext(context.active(), spanContext), () => log.info('inside'));
    log.info('outside');
    expect(logs.lines[0]).toMatchObject({ trace_id: spanContext.traceId, span_id: spanContext.spanId });
    expect(logs.lines[1]?.['trace_id']).toBeUndefined();
  });
});
