import type { MetricCatalog } from './catalog.js';
import { DATASOURCE_UIDS } from './datasources.js';
import { PARLEY_TAG } from './parley-dashboard.js';
import { AGGREGATIONS, RATE_FUNCTIONS, calls, durationSeconds, groupings, metricNames, tokenize, unbalanced, type Token } from './promql-scan.js';

/**
 * Checks dashboard JSON (generated or hand-edited) for what breaks a dashboard quietly: a
 * data source that is not one of the provisioned uids, a metric no service exposes, a rate over
 * too short a window, overlapping panels, a panel without queries. Works on plain JSON so it
 * can lint the committed files as well as the builders' output.
 */
export interface LintProblem {
  dashboard: string;
  /** The panel ('panel 3 "Requests per second"') or other part, when the problem is in one. */
  where?: string;
  message: string;
}

export function formatProblem(p: LintProblem): string {
  return `${p.dashboard}${p.where ? ` ${p.where}` : ''}: ${p.message}`;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);

const UID = /^[a-z0-9][a-z0-9-]{0,39}$/;
const GRID_COLUMNS = 24;
const MIN_SCHEMA_VERSION = 39;
/** Panels that show no query results. */
const NO_QUERIES = new Set(['row', 'text']);
const NEEDS_UNIT = new Set(['timeseries', 'stat', 'gauge', 'bargauge', 'heatmap']);
const BUILTIN_VARIABLES = new Set(['__rate_interval', '__interval', '__interval_ms', '__range', '__range_s', '__range_ms', '__auto', '__from', '__to', '__dashboard', '__org', '__user', '__timezone', '__all']);
/** Four scrapes at the 15 s scrape interval: the least `$__rate_interval` can be. */
const MIN_RATE_RANGE_SECONDS = 60;
const RATE_RANGES_OK = new Set(['$__rate_interval', '${__rate_interval}', '$__range', '${__range}']);
/** Loki keeps these as structured metadata: a stream selector on them matches nothing. */
const LOKI_METADATA = new Set(['parley_stream', 'trace_id', 'span_id']);
/** What a counter's series is called; rate() of anything else is a rate of a gauge. Recording rules (with ':') are exempt. */
const COUNTER_SERIES = /(_total|_count|_sum|_bucket)$|:/;

export function variableReferences(text: string): string[] {
  return [...text.matchAll(/\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)\]\]/g)].map((m) => (m[1] ?? m[2] ?? m[3]) as string);
}

/** A delimiter problem in LogQL or TraceQL text (quoted strings skipped). */
function delimiterProblem(text: string): string | undefined {
  const stack: string[] = [];
  const pairs: Record<string, string> = { '(': ')', '{': '}', '[': ']' };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '"' || c === '`') {
      const end = c === '`' ? text.indexOf('`', i + 1) : text.slice(i + 1).search(/(?<!\\)"/) + i + 1;
      if (end <= i) return `unclosed ${c}`;
      i = end;
    } else if (pairs[c]) stack.push(pairs[c]);
    else if (c === ')' || c === '}' || c === ']') {
      if (stack.pop() !== c) return `unexpected ${c}`;
    }
  }
  return stack.length ? `unclosed bracket (expected ${stack.at(-1)})` : undefined;
}

interface Resolved {
  type: string;
  uid: string;
}

interface Context {
  catalog: MetricCatalog;
  uids: ReadonlySet<string>;
  report(where: string | undefined, message: string): void;
}

function lintPromql(expr: string, report: (message: string) => void, catalog: MetricCatalog): void {
  let tokens: Token[];
  try {
    tokens = tokenize(expr);
  } catch (err) {
    report(`PromQL does not tokenize: ${(err as Error).message}`);
    return;
  }
  const delimiters = unbalanced(tokens);
  if (delimiters) report(`PromQL: ${delimiters}`);
  for (const name of new Set(metricNames(tokens))) {
    if (!catalog.has(name)) report(`unknown metric ${name} (not in docs/metrics.md, the prom-client defaults, the recording rules or the external families ${catalog.prefixes.join(', ')})`);
  }
  for (const call of calls(tokens, RATE_FUNCTIONS)) {
    const range = call.range;
    if (range === undefined) report(`${call.fn}() without a range selector`);
    else if (!RATE_RANGES_OK.has(range)) {
      const seconds = durationSeconds(range.split(':')[0] as string);
      if (seconds === undefined) report(`${call.fn}() over [${range}]: use $__rate_interval (or $__range for the whole time range)`);
      else if (seconds < MIN_RATE_RANGE_SECONDS) report(`${call.fn}() over [${range}] is shorter than $__rate_interval (at least ${MIN_RATE_RANGE_SECONDS}s at a 15s scrape interval)`);
    }
    for (const name of new Set(metricNames(call.args))) {
      if (!COUNTER_SERIES.test(name)) report(`${call.fn}() of ${name}, which is not a counter (a gauge: use it directly, or *_over_time)`);
    }
  }
  for (const call of calls(tokens, new Set(['histogram_quantile']))) {
    for (const name of new Set(metricNames(call.args))) {
      if (!name.endsWith('_bucket') && !name.includes(':')) report(`histogram_quantile() of ${name}: it needs the _bucket series`);
    }
    const aggregated = call.args.some((t) => t.kind === 'ident' && AGGREGATIONS.has(t.text));
    const keepsLe = groupings(call.args).some((g) => (g.kind === 'by' ? g.labels.includes('le') : !g.labels.includes('le')));
    if (aggregated && !keepsLe) report('histogram_quantile() over an aggregation that drops le: add le to its by (...) clause');
  }
}

function lintLogql(expr: string, report: (message: string) => void): void {
  const delimiters = delimiterProblem(expr);
  if (delimiters) report(`LogQL: ${delimiters}`);
  const selector = /\{([^}]*)\}/.exec(expr);
  if (!selector) {
    report('LogQL without a stream selector {...}');
    return;
  }
  let anchored = false;
  for (const m of (selector[1] as string).matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
    const [, name, op, value] = m as unknown as [string, string, string, string];
    if (LOKI_METADATA.has(name)) report(`LogQL stream selector on ${name}, which is structured metadata, not a label: filter after the selector (| ${name}="...")`);
    if ((op === '=' && value !== '') || (op === '=~' && !/^(\.\*)?$/.test(value))) anchored = true;
  }
  if (!anchored) report('LogQL stream selector needs a matcher that cannot match the empty value (e.g. service_name="gateway")');
}

function lintTraceql(target: Json, report: (message: string) => void): void {
  const queryType = str(target['queryType']);
  if (queryType === 'serviceMap') return;
  if (queryType !== 'traceql') {
    report(`Tempo query type ${queryType ?? '(none)'}: use traceql or serviceMap`);
    return;
  }
  const query = str(target['query'])?.trim() ?? '';
  if (!query.startsWith('{')) report('TraceQL query must start with a spanset filter {...}');
  const delimiters = delimiterProblem(query);
  if (delimiters) report(`TraceQL: ${delimiters}`);
}

/** The provisioned data source behind a reference (a `${var}` resolves through a datasource variable). */
function resolver(variables: readonly Json[]): (ref: unknown) => Resolved | string {
  const dsVariables = new Map(variables.filter((v) => v['type'] === 'datasource').map((v) => [str(v['name']) ?? '', v]));
  return (ref) => {
    const r = obj(ref);
    const uid = str(r?.['uid']);
    if (!r || !uid) return 'no data source uid';
    let resolved: Resolved;
    const variable = /^\$\{?(\w+)\}?$/.exec(uid)?.[1];
    if (variable !== undefined) {
      const v = dsVariables.get(variable);
      if (!v) return `data source ${uid} is not a datasource variable of this dashboard`;
      const current = obj(v['current'])?.['value'];
      resolved = { type: str(v['query']) ?? '', uid: str(current) ?? '' };
    } else resolved = { type: str(r['type']) ?? '', uid };
    const expectedType = Object.entries(DATASOURCE_UIDS).find(([, u]) => u === resolved.uid)?.[0];
    if (!expectedType) return `data source ${uid} resolves to uid "${resolved.uid}", not one of the provisioned ${Object.values(DATASOURCE_UIDS).join(', ')}`;
    if (resolved.type !== expectedType || (str(r['type']) !== undefined && r['type'] !== expectedType)) return `data source ${uid} has type ${str(r['type']) ?? resolved.type}, but uid ${resolved.uid} is ${expectedType}`;
    return resolved;
  };
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
  name: string;
}

function lintLayout(panels: readonly Json[], name: (p: Json) => string, report: Context['report']): void {
  const rects: Rect[] = [];
  for (const p of panels) {
    const g = obj(p['gridPos']);
    const [x, y, w, h] = ['x', 'y', 'w', 'h'].map((k) => int(g?.[k]));
    if (x === undefined || y === undefined || w === undefined || h === undefined) {
      report(name(p), 'gridPos needs whole numbers x, y, w, h');
      continue;
    }
    if (x < 0 || y < 0 || w < 1 || h < 1 || x + w > GRID_COLUMNS) report(name(p), `gridPos {x: ${x}, w: ${w}} does not fit the ${GRID_COLUMNS}-column grid`);
    const overlapping = rects.find((r) => x < r.x + r.w && r.x < x + w && y < r.y + r.h && r.y < y + h);
    if (overlapping) report(name(p), `overlaps ${overlapping.name}`);
    rects.push({ x, y, w, h, name: name(p) });
  }
}

function lintDashboard(d: Json, ctx: Context): void {
  const { report, catalog } = ctx;
  if (!str(d['title'])) report(undefined, 'title missing');
  if (!((int(d['schemaVersion']) ?? 0) >= MIN_SCHEMA_VERSION)) report(undefined, `schemaVersion ${String(d['schemaVersion'])} is below ${MIN_SCHEMA_VERSION}`);
  if (!list(d['tags']).includes(PARLEY_TAG)) report(undefined, `not tagged "${PARLEY_TAG}" (the dashboards menu lists Parley dashboards by that tag)`);

  const variables = list(obj(d['templating'])?.['list']).map((v) => obj(v) ?? {});
  const defined = new Set([...BUILTIN_VARIABLES, ...variables.map((v) => str(v['name']) ?? '')]);
  const resolve = resolver(variables);
  const checkVariables = (where: string | undefined, text: string): void => {
    for (const v of new Set(variableReferences(text))) if (!defined.has(v)) report(where, `uses $${v}, which is not a variable of this dashboard`);
  };

  for (const v of variables) {
    if (v['type'] !== 'query') continue;
    const where = `variable ${str(v['name'])}`;
    const ds = resolve(v['datasource']);
    if (typeof ds === 'string') report(where, ds);
    else if (ds.type !== 'prometheus') report(where, `query variables read Prometheus, not ${ds.type}`);
    const query = str(obj(v['query'])?.['query']) ?? str(v['query']) ?? '';
    const labelValues = /^label_values\((.*),\s*\w+\)$/.exec(query.trim());
    if (labelValues) lintPromql(labelValues[1] as string, (m) => report(where, m), catalog);
    checkVariables(where, query);
  }

  const top = list(d['panels']).map((p) => obj(p) ?? {});
  const all = top.flatMap((p) => [p, ...list(p['panels']).map((c) => obj(c) ?? {})]);
  const name = (p: Json): string => `panel ${String(p['id'])} "${str(p['title']) ?? str(p['type']) ?? '?'}"`;
  const ids = new Set<number>();
  for (const p of all) {
    const id = int(p['id']);
    if (id === undefined || id < 1) report(name(p), 'panel id must be a positive whole number');
    else if (ids.has(id)) report(name(p), 'duplicate panel id');
    else ids.add(id);
  }
  lintLayout(top, name, report);

  const linked = list(d['links']).map((l) => str(obj(l)?.['url']) ?? '');
  for (const p of all) {
    const where = name(p);
    const type = str(p['type']) ?? '';
    checkVariables(where, str(p['title']) ?? '');
    linked.push(str(obj(p['options'])?.['content']) ?? '', ...list(p['links']).map((l) => str(obj(l)?.['url']) ?? ''));
    if (NO_QUERIES.has(type)) continue;
    const unit = str(obj(obj(p['fieldConfig'])?.['defaults'])?.['unit']);
    if (NEEDS_UNIT.has(type) && !unit) report(where, `${type} panel without a unit`);
    const panelDs = resolve(p['datasource']);
    if (typeof panelDs === 'string') report(where, panelDs);
    const targets = list(p['targets']).map((t) => obj(t) ?? {});
    if (targets.length === 0) report(where, 'no queries (targets)');
    const refIds = new Set<string>();
    for (const t of targets) {
      const refId = str(t['refId']);
      const at = (m: string): void => report(`${where} query ${refId ?? '?'}`, m);
      if (!refId) at('query without refId');
      else if (refIds.has(refId)) at('duplicate refId');
      else refIds.add(refId);
      let ds = panelDs;
      if (t['datasource'] !== undefined) {
        ds = resolve(t['datasource']);
        if (typeof ds === 'string') at(ds);
        else if (typeof panelDs !== 'string' && ds.uid !== panelDs.uid) at(`data source ${ds.uid} differs from the panel's ${panelDs.uid}`);
      }
      if (typeof ds === 'string') continue;
      const text = str(t['expr']) ?? str(t['query']) ?? '';
      checkVariables(`${where} query ${refId ?? '?'}`, text);
      if (ds.type === 'tempo') lintTraceql(t, at);
      else if (!text.trim()) at(`empty ${ds.type} query`);
      else if (ds.type === 'prometheus') lintPromql(text, at, catalog);
      else lintLogql(text, at);
    }
  }

  for (const text of linked) {
    for (const m of text.matchAll(/\/d\/([A-Za-z0-9_-]+)/g)) if (!ctx.uids.has(m[1] as string)) report(undefined, `links to /d/${m[1]}, which is not one of the dashboards`);
  }
}

/** Lints a set of dashboards together (uids must be unique; links may point at any of them). */
export function lintDashboards(dashboards: readonly unknown[], catalog: MetricCatalog): LintProblem[] {
  const problems: LintProblem[] = [];
  const seen = new Set<string>();
  const uids = new Set(dashboards.map((d) => str(obj(d)?.['uid']) ?? ''));
  dashboards.forEach((value, index) => {
    const d = obj(value) ?? {};
    const uid = str(d['uid']);
    const label = uid ?? `dashboard #${index + 1}`;
    const report = (where: string | undefined, message: string): void => void problems.push({ dashboard: label, ...(where ? { where } : {}), message });
    if (!uid || !UID.test(uid)) report(undefined, 'uid missing or not 1-40 lowercase letters, digits and dashes');
    else if (seen.has(uid)) report(undefined, 'duplicate uid');
    if (uid) seen.add(uid);
    lintDashboard(d, { catalog, uids, report });
  });
  return problems;
}

/** The PromQL of every Prometheus query of a dashboard, with where it is. */
export function prometheusQueries(value: unknown): { where: string; expr: string }[] {
  const d = obj(value) ?? {};
  const resolve = resolver(list(obj(d['templating'])?.['list']).map((v) => obj(v) ?? {}));
  const top = list(d['panels']).map((p) => obj(p) ?? {});
  const found: { where: string; expr: string }[] = [];
  for (const p of top.flatMap((p) => [p, ...list(p['panels']).map((c) => obj(c) ?? {})])) {
    for (const t of list(p['targets']).map((x) => obj(x) ?? {})) {
      const ds = resolve(t['datasource'] ?? p['datasource']);
      const expr = str(t['expr']);
      if (typeof ds !== 'string' && ds.type === 'prometheus' && expr) found.push({ where: `panel ${String(p['id'])} "${str(p['title']) ?? ''}" query ${str(t['refId']) ?? '?'}`, expr });
    }
  }
  return found;
}
