import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AlwaysOnSampler, InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

export interface InMemoryTracing {
  /** Every span ended since install (or the last `exporter.reset()`), sampled always. */
  readonly exporter: InMemorySpanExporter;
  /** Waits until every ended span is in the exporter. */
  flush(): Promise<void>;
  /** Removes the global tracer provider and context manager again. */
  uninstall(): void;
}

/**
 * A global tracer provider (always on, spans kept in memory) and an AsyncLocalStorage context
 * manager, as the OpenTelemetry SDK installs them in production: for tests that assert the
 * spans, attributes and exemplars code makes. Call in beforeAll, uninstall in afterAll.
 */
export function installInMemoryTracing(): InMemoryTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  return {
    exporter,
    flush: () => provider.forceFlush(),
    uninstall() {
      trace.disable();
      context.disable();
    },
  };
}
