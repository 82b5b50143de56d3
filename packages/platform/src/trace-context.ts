import { context, isSpanContextValid, trace } from '@opentelemetry/api';

export interface TraceIds {
  trace_id: string;
  span_id: string;
}

/** The ids of the active span, if any (valid only when the tracer provider is registered). */
export function activeTraceIds(): TraceIds | undefined {
  const span = trace.getSpan(context.active());
  if (!span) return undefined;
  const ctx = span.spanContext();
  if (!isSpanContextValid(ctx)) return undefined;
  return { trace_id: ctx.traceId, span_id: ctx.spanId };
}
