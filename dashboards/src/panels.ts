import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as logs from '@grafana/grafana-foundation-sdk/logs';
import * as loki from '@grafana/grafana-foundation-sdk/loki';
import * as nodegraph from '@grafana/grafana-foundation-sdk/nodegraph';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as tempo from '@grafana/grafana-foundation-sdk/tempo';
import * as text from '@grafana/grafana-foundation-sdk/text';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { LOKI, PROMETHEUS, TEMPO } from './datasources.js';

/** A query and the data source it runs on (the panel takes its data source from its first query). */
export interface Query {
  readonly datasource: common.DataSourceRef;
  readonly builder: cog.Builder<cog.Dataquery>;
}

export interface PromOptions {
  /** Show exemplars (trace ids) on latency panels. */
  exemplar?: boolean;
  /** One value per series at the end of the range (stats and tables). */
  instant?: boolean;
  format?: 'table' | 'heatmap';
}

export function prom(expr: string, legend?: string, options: PromOptions = {}): Query {
  const builder = new prometheus.DataqueryBuilder().expr(expr).datasource(PROMETHEUS).editorMode(prometheus.QueryEditorMode.Code);
  if (legend !== undefined) builder.legendFormat(legend);
  if (options.exemplar) builder.exemplar(true);
  if (options.instant) builder.instant();
  else builder.range();
  if (options.format === 'table') builder.format(prometheus.PromQueryFormat.Table);
  if (options.format === 'heatmap') builder.format(prometheus.PromQueryFormat.Heatmap);
  return { datasource: PROMETHEUS, builder };
}

export function logql(expr: string, options: { legend?: string; instant?: boolean; maxLines?: number } = {}): Query {
  const builder = new loki.DataqueryBuilder().expr(expr).datasource(LOKI).editorMode(loki.QueryEditorMode.Code);
  builder.queryType(options.instant ? loki.LokiQueryType.Instant : loki.LokiQueryType.Range);
  if (options.legend !== undefined) builder.legendFormat(options.legend);
  if (options.maxLines !== undefined) builder.maxLines(options.maxLines);
  return { datasource: LOKI, builder };
}

/** A TraceQL search listing the matching traces (only those tail sampling kept). */
export function traceql(query: string, limit = 20): Query {
  const builder = new tempo.DataqueryBuilder()
    .datasource(TEMPO)
    .queryType(tempo.TempoQueryType.Traceql)
    .query(query)
    .limit(limit)
    .spss(3)
    .tableType(tempo.SearchTableType.Traces);
  return { datasource: TEMPO, builder };
}

/** Tempo's service graph: nodes and edges from the traces_service_graph_* metrics in Prometheus. */
export function serviceMap(): Query {
  return { datasource: TEMPO, builder: new tempo.DataqueryBuilder().datasource(TEMPO).queryType(tempo.TempoQueryType.ServiceMap) };
}

export type Steps = dashboard.Threshold[];

/** Threshold steps: the base colour, then [from value, colour] pairs. */
export function steps(base: string, ...from: [number, string][]): Steps {
  return [{ value: null, color: base }, ...from.map(([value, color]) => ({ value, color }))];
}

/** Value-to-text mappings with colours, e.g. breaker states or up/down. */
export function states(map: Readonly<Record<string, { text: string; color: string }>>): dashboard.ValueMapping[] {
  const options: Record<string, dashboard.ValueMappingResult> = {};
  Object.entries(map).forEach(([value, result], index) => (options[value] = { ...result, index }));
  return [{ type: dashboard.MappingType.ValueToText, options }];
}

/** 1 up, 0 down (Prometheus `up`). */
export const UP_DOWN = states({ '0': { text: 'down', color: 'red' }, '1': { text: 'up', color: 'green' } });
/** gateway_kill_switch_engaged. */
export const KILL_SWITCH = states({ '0': { text: 'off', color: 'green' }, '1': { text: 'engaged', color: 'red' } });

export interface PanelOptions {
  title: string;
  description?: string;
  /** Grid columns out of 24. */
  width?: number;
  height?: number;
}

/** What every SDK panel builder has; used to apply the options above to any of them. */
interface PanelBuilderBase<B> extends cog.Builder<dashboard.Panel> {
  title(title: string): B;
  description(description: string): B;
  span(w: number): B;
  height(h: number): B;
  datasource(datasource: common.DataSourceRef): B;
  targets(targets: cog.Builder<cog.Dataquery>[]): B;
}

function base<B extends PanelBuilderBase<B>>(builder: B, options: PanelOptions, queries: readonly Query[] = []): B {
  builder.title(options.title).span(options.width ?? 8).height(options.height ?? 8);
  if (options.description) builder.description(options.description);
  const first = queries[0];
  if (first) builder.datasource(first.datasource).targets(queries.map((q) => q.builder));
  return builder;
}

function thresholds(list: Steps): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(list);
}

function legend(mode: 'list' | 'table', calcs: string[] = []): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(mode === 'table' ? common.LegendDisplayMode.Table : common.LegendDisplayMode.List)
    .placement(common.LegendPlacement.Bottom)
    .calcs(calcs);
}

const multiTooltip = (): common.VizTooltipOptionsBuilder =>
  new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending);

export interface TimeseriesOptions extends PanelOptions {
  unit: string;
  queries: readonly Query[];
  min?: number;
  max?: number;
  decimals?: number;
  stack?: boolean;
  bars?: boolean;
  /** Drawn as dashed lines (SLO targets, burn-rate thresholds). */
  thresholds?: Steps;
  /** A table legend with these reducers (e.g. ['mean', 'max']). */
  legendCalcs?: string[];
}

export function timeseriesPanel(options: TimeseriesOptions): timeseries.PanelBuilder {
  const panel = base(new timeseries.PanelBuilder(), options, options.queries)
    .unit(options.unit)
    .fillOpacity(options.stack ? 60 : 10)
    .lineWidth(1)
    .showPoints(common.VisibilityMode.Never)
    .legend(legend(options.legendCalcs ? 'table' : 'list', options.legendCalcs))
    .tooltip(multiTooltip());
  if (options.min !== undefined) panel.min(options.min);
  if (options.max !== undefined) panel.max(options.max);
  if (options.decimals !== undefined) panel.decimals(options.decimals);
  if (options.stack) panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (options.bars) panel.drawStyle(common.GraphDrawStyle.Bars);
  if (options.thresholds) {
    panel
      .thresholds(thresholds(options.thresholds))
      .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  }
  return panel;
}

export interface StatOptions extends PanelOptions {
  unit: string;
  queries: readonly Query[];
  thresholds?: Steps;
  decimals?: number;
  mappings?: dashboard.ValueMapping[];
  noValue?: string;
  /** What to show per series: the value (default), or the series name (e.g. a version label). */
  show?: 'value' | 'name' | 'value_and_name';
  sparkline?: boolean;
}

export function statPanel(options: StatOptions): stat.PanelBuilder {
  const show = { value: common.BigValueTextMode.Value, name: common.BigValueTextMode.Name, value_and_name: common.BigValueTextMode.ValueAndName };
  const panel = base(new stat.PanelBuilder(), { height: 4, width: 6, ...options }, options.queries)
    .unit(options.unit)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .graphMode(options.sparkline ? common.BigValueGraphMode.Area : common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Value)
    .textMode(options.show ? show[options.show] : common.BigValueTextMode.Auto)
    .thresholds(thresholds(options.thresholds ?? steps('text')));
  if (options.decimals !== undefined) panel.decimals(options.decimals);
  if (options.mappings) panel.mappings(options.mappings);
  if (options.noValue) panel.noValue(options.noValue);
  return panel;
}

export interface TableOptions extends PanelOptions {
  queries: readonly Query[];
  unit?: string;
  transformations?: dashboard.DataTransformerConfig[];
  noValue?: string;
  /** Column to sort by, descending. */
  sortBy?: string;
}

export function tablePanel(options: TableOptions): table.PanelBuilder {
  const panel = base(new table.PanelBuilder(), options, options.queries).cellHeight(common.TableCellHeight.Sm);
  if (options.unit) panel.unit(options.unit);
  if (options.transformations) panel.transformations(options.transformations);
  if (options.noValue) panel.noValue(options.noValue);
  if (options.sortBy) panel.sortBy([new common.TableSortByFieldStateBuilder().displayName(options.sortBy).desc(true)]);
  return panel;
}

export interface StateTimelineOptions extends PanelOptions {
  queries: readonly Query[];
  mappings: dashboard.ValueMapping[];
}

export function stateTimelinePanel(options: StateTimelineOptions): statetimeline.PanelBuilder {
  return base(new statetimeline.PanelBuilder(), options, options.queries)
    .unit('none')
    .mappings(options.mappings)
    .thresholds(thresholds(steps('text')))
    .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Thresholds))
    .showValue(common.VisibilityMode.Never)
    .mergeValues(true)
    .legend(legend('list'));
}

/** A Prometheus histogram drawn as a heatmap from its buckets, with exemplars. */
export function heatmapPanel(options: PanelOptions & { unit: string; queries: readonly Query[] }): heatmap.PanelBuilder {
  return base(new heatmap.PanelBuilder(), options, options.queries)
    .unit(options.unit)
    .calculate(false)
    .yAxis(new heatmap.YAxisConfigBuilder().unit(options.unit))
    .color(new heatmap.HeatmapColorOptionsBuilder().mode(heatmap.HeatmapColorMode.Scheme).scheme('Oranges').scale(heatmap.HeatmapColorScale.Exponential).exponent(0.5))
    .cellValues(new heatmap.CellValuesBuilder().unit('reqps'))
    .exemplarsColor('rgba(255,0,255,0.7)')
    .showLegend();
}

export function logsPanel(options: PanelOptions & { queries: readonly Query[] }): logs.PanelBuilder {
  return base(new logs.PanelBuilder(), options, options.queries)
    .showTime(true)
    .wrapLogMessage(true)
    .prettifyLogMessage(false)
    .enableLogDetails(true)
    .sortOrder(common.LogsSortOrder.Descending)
    .dedupStrategy(common.LogsDedupStrategy.None);
}

export function nodeGraphPanel(options: PanelOptions & { queries: readonly Query[] }): nodegraph.PanelBuilder {
  return base(new nodegraph.PanelBuilder(), options, options.queries);
}

export function textPanel(options: PanelOptions & { markdown: string }): text.PanelBuilder {
  return base(new text.PanelBuilder(), { height: 4, ...options }).mode(text.TextMode.Markdown).content(options.markdown);
}

/** Table transformations. */
export const transform = {
  /** Instant queries of one panel side by side, one row per label set. */
  merge: (): dashboard.DataTransformerConfig => ({ id: 'merge', options: {} }),
  /** Hide, rename and order columns. */
  organize: (rename: Record<string, string>, hide: readonly string[] = ['Time']): dashboard.DataTransformerConfig => ({
    id: 'organize',
    options: {
      excludeByName: Object.fromEntries(hide.map((name) => [name, true])),
      renameByName: rename,
      indexByName: Object.fromEntries(Object.keys(rename).map((name, i) => [name, i])),
    },
  }),
  /** Log lines: the labels a `| json` / `| keep` stage produced, as columns. */
  labelsToColumns: (): dashboard.DataTransformerConfig => ({ id: 'extractFields', options: { source: 'labels', format: 'auto', replace: false } }),
};
