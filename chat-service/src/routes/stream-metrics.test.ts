import { context, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '@parley/platform';
import { createStreamMetrics, firstTextOnce } from './stream-metrics.js';
import { installInMemoryTracing, type InMemoryTracing } from '@parley/testkit';

let tracing: InMemoryTracing;

beforeAll(() => {
  tracing = installInMemoryTracing();
});
afterAll(() => {
  tracing.uninstall();
});

const NAME = 'parley_chat_time_to_first_text_seconds';

describe('parley_chat_time_to_first_text_seconds', () => {
  it('carries the trace id of the request span active when the stream started, observed once', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const streamMetrics = createStreamMetrics(metrics.registry);
    const span = trace.getTracer('test').startSpan('POST /api/v1/chat');
    const firstText = context.with(trace.setSpan(context.active(), span), () => firstTextOnce(streamMetrics, 'ui', performance.now()));
    span.end();
    // Released later, outside the request's context (a stream callback).
    firstText();
    firstText();
    const text = await metrics.registry.getSingleMetricAsString(NAME);
    expect(text).toMatch(new RegExp(`^${NAME}_count\\{api="ui"\\} 1$`, 'm'));
    const exemplars = [...text.matchAll(/# \{trace_id="([\da-f]{32})"\}/g)].map((m) => m[1]);
    expect(exemplars).toEqual([span.spanContext().traceId]);
  });

  it('observes without an exemplar when no span is active', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    firstTextOnce(createStreamMetrics(metrics.registry), 'openai', performance.now())();
    const text = await metrics.registry.getSingleMetricAsString(NAME);
    expect(text).toMatch(new RegExp(`^${NAME}_count\\{api="openai"\\} 1$`, 'm'));
    expect(text).not.toContain('trace_id');
  });
});
