import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { createParleyDashboard } from '../parley-dashboard.js';
import { prom, steps, timeseriesPanel } from '../panels.js';
import { scrapeTargetsPanel } from '../service-panels.js';
import { shareOf, sumRate } from '../promql.js';
import { DIRECTORY } from '../directory.js';

const THIRD = { width: 8 } as const;

/** One series per `label` for each [metric, legend prefix] pair, e.g. accepted and refused spans per receiver. */
function countersPanel(title: string, label: string, counters: [string, string][], layout: { width: number } = THIRD): timeseries.PanelBuilder {
  return timeseriesPanel({
    title,
    unit: 'ops',
    ...layout,
    queries: counters.map(([metric, prefix]) => prom(sumRate(metric, [], label ? [label] : []), label ? `${prefix} {{${label}}}` : prefix)),
  });
}

export function telemetryDashboard(): dashboard.Dashboard {
  const dropped = sumRate('otel_spans_dropped_total', [], ['job']);
  return createParleyDashboard({
    ...DIRECTORY.telemetry,
    sections: [
      {
        title: 'Services → collector (the trace exporter of each service)',
        panels: [
          countersPanel('Spans exported per second', 'job', [['otel_spans_exported_total', 'exported']]),
          timeseriesPanel({
            title: 'Spans dropped per second by reason',
            description: 'queue_full: the export queue (OTEL_BSP_MAX_QUEUE_SIZE) was full; export_failed: the collector did not take the batch.',
            unit: 'ops',
            ...THIRD,
            queries: [prom(sumRate('otel_spans_dropped_total', [], ['job', 'reason']), '{{job}} {{reason}}')],
          }),
          timeseriesPanel({
            title: 'Dropped share of sampled spans',
            unit: 'percentunit',
            min: 0,
            thresholds: steps('green', [0.01, 'red']),
            ...THIRD,
            queries: [prom(`${dropped} / (${sumRate('otel_spans_exported_total', [], ['job'])} + ${dropped})`, '{{job}}')],
          }),
        ],
      },
      {
        title: 'OpenTelemetry Collector (its own metrics, job otel-collector)',
        panels: [
          countersPanel('Spans received: accepted and refused', 'receiver', [
            ['otelcol_receiver_accepted_spans_total', 'accepted'],
            ['otelcol_receiver_refused_spans_total', 'refused'],
          ]),
          countersPanel('Spans exported: sent and failed', 'exporter', [
            ['otelcol_exporter_sent_spans_total', 'sent'],
            ['otelcol_exporter_send_failed_spans_total', 'failed'],
          ]),
          timeseriesPanel({
            title: 'Exporter queues: size and capacity',
            unit: 'short',
            ...THIRD,
            queries: [prom('max by (exporter) (otelcol_exporter_queue_size)', 'size {{exporter}}'), prom('max by (exporter) (otelcol_exporter_queue_capacity)', 'capacity {{exporter}}')],
          }),
          countersPanel('Log records to Loki: sent and failed', 'exporter', [
            ['otelcol_exporter_sent_log_records_total', 'sent'],
            ['otelcol_exporter_send_failed_log_records_total', 'failed'],
          ]),
          countersPanel('Metric points to Prometheus (span metrics, service graph)', 'exporter', [
            ['otelcol_exporter_sent_metric_points_total', 'sent'],
            ['otelcol_exporter_send_failed_metric_points_total', 'failed'],
          ]),
          countersPanel('Refused by the memory limiter', '', [
            ['otelcol_processor_refused_spans_total', 'spans'],
            ['otelcol_processor_refused_log_records_total', 'log records'],
            ['otelcol_processor_refused_metric_points_total', 'metric points'],
          ]),
          timeseriesPanel({
            title: 'Tail sampling: traces per second by policy and decision',
            unit: 'ops',
            width: 12,
            queries: [prom(sumRate('otelcol_processor_tail_sampling_count_traces_sampled_total', [], ['policy', 'sampled']), '{{policy}} sampled={{sampled}}')],
          }),
          timeseriesPanel({
            title: 'Share of traces kept',
            unit: 'percentunit',
            min: 0,
            max: 1,
            width: 6,
            queries: [prom(shareOf('otelcol_processor_tail_sampling_global_count_traces_sampled_total', [], 'sampled="true"'), 'kept')],
          }),
          timeseriesPanel({
            title: 'Traces waiting for a decision',
            unit: 'short',
            width: 6,
            queries: [prom('sum(otelcol_processor_tail_sampling_sampling_traces_on_memory)', 'in memory')],
          }),
        ],
      },
      {
        title: 'Backends: Prometheus, Tempo, Loki',
        panels: [
          scrapeTargetsPanel([], { height: 7 }),
          timeseriesPanel({ title: 'Scrape duration (timeout 10 s)', unit: 's', thresholds: steps('green', [10, 'red']), ...THIRD, queries: [prom('max by (job) (scrape_duration_seconds)', '{{job}}')] }),
          timeseriesPanel({ title: 'Samples per scrape', unit: 'short', ...THIRD, queries: [prom('sum by (job) (scrape_samples_scraped)', '{{job}}')] }),
          timeseriesPanel({
            title: 'Prometheus: samples ingested per second (scrapes and remote write)',
            unit: 'ops',
            ...THIRD,
            queries: [prom(sumRate('prometheus_tsdb_head_samples_appended_total'), 'samples')],
          }),
          timeseriesPanel({ title: 'Tempo: spans received per second', unit: 'ops', width: 12, queries: [prom(sumRate('tempo_distributor_spans_received_total', ['job="tempo"']), 'spans')] }),
          timeseriesPanel({ title: 'Loki: log lines received per second', unit: 'ops', width: 12, queries: [prom(sumRate('loki_distributor_lines_received_total', ['job="loki"']), 'lines')] }),
        ],
      },
    ],
  });
}
