import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from './catalog.js';
import { buildDashboards } from './index.js';
import { formatProblem, lintDashboards, prometheusQueries } from './lint.js';
import { loadRepoFacts } from './repo-facts.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const catalog = loadCatalog(root);

type Json = Record<string, unknown>;
type Panel = Json & { id: number; type: string; gridPos: { x: number; y: number; w: number; h: number }; targets?: Json[]; fieldConfig?: { defaults: Json } };
type Dashboard = Json & { uid: string; panels: Panel[]; templating: { list: Json[] }; tags: string[]; links: Json[] };

/** Fresh plain-JSON copies of the real dashboards, to break one thing at a time. */
const facts = loadRepoFacts(root);
const fresh = (): Dashboard[] => JSON.parse(JSON.stringify(buildDashboards(facts))) as Dashboard[];
const byUid = (ds: Dashboard[], uid: string): Dashboard => ds.find((d) => d.uid === uid) as Dashboard;
const panel = (d: Dashboard, type: string, nth = 0): Panel => d.panels.filter((p) => p.type === type)[nth] as Panel;
/** The first Prometheus timeseries panel of the services dashboard and its first query. */
const promPanel = (ds: Dashboard[]): Panel => panel(byUid(ds, 'parley-services'), 'timeseries');
const firstTarget = (p: Panel): Json => (p.targets as Json[])[0] as Json;
const lokiPanel = (ds: Dashboard[]): Panel => panel(byUid(ds, 'parley-audit'), 'logs');
const tempoTable = (ds: Dashboard[]): Panel => byUid(ds, 'parley-safety').panels.find((p) => (p['datasource'] as Json | undefined)?.['uid'] === 'tempo') as Panel;

const lint = (ds: unknown[]): string[] => lintDashboards(ds, catalog).map(formatProblem);

describe('the dashboard lint', () => {
  it('passes every generated dashboard against the repository catalog', () => {
    expect(lint(fresh())).toEqual([]);
  });

  it('has Prometheus, Loki and Tempo queries to check', () => {
    const ds = fresh();
    expect(ds.flatMap((d) => prometheusQueries(d)).length).toBeGreaterThan(100);
    expect(lokiPanel(ds)).toBeDefined();
    expect(tempoTable(ds)).toBeDefined();
  });

  // Each case breaks one real dashboard the way a hand edit or a careless helper would.
  const cases: { name: string; expect: RegExp; mutate: (ds: Dashboard[]) => void }[] = [
    { name: 'uid removed', expect: /uid missing/, mutate: (ds) => delete (ds[0] as Json)['uid'] },
    { name: 'uid with capitals and spaces', expect: /uid missing or not/, mutate: (ds) => ((ds[0] as Dashboard).uid = 'Parley Overview') },
    { name: 'two dashboards with one uid', expect: /parley-slo: duplicate uid/, mutate: (ds) => ((ds[1] as Dashboard).uid = 'parley-slo') },
    { name: 'not tagged parley', expect: /not tagged "parley"/, mutate: (ds) => ((ds[0] as Dashboard).tags = ['slo']) },
    {
      name: 'a data source by name instead of the provisioned uid',
      expect: /data source my-prometheus resolves to uid "my-prometheus", not one of the provisioned/,
      mutate: (ds) => (promPanel(ds)['datasource'] = { type: 'prometheus', uid: 'my-prometheus' }),
    },
    {
      name: 'the $datasource variable defaulting to another uid',
      expect: /resolves to uid "other"/,
      mutate: (ds) => ((byUid(ds, 'parley-services').templating.list[0] as Json)['current'] = { text: 'Other', value: 'other' }),
    },
    {
      name: 'a data source whose type does not match its uid',
      expect: /has type loki, but uid prometheus is prometheus/,
      mutate: (ds) => (promPanel(ds)['datasource'] = { type: 'loki', uid: 'prometheus' }),
    },
    {
      name: 'a query on another data source than its panel',
      expect: /data source loki differs from the panel's prometheus/,
      mutate: (ds) => {
        const p = promPanel(ds);
        p['datasource'] = { type: 'prometheus', uid: 'prometheus' };
        firstTarget(p)['datasource'] = { type: 'loki', uid: 'loki' };
      },
    },
    { name: 'a panel without queries', expect: /no queries \(targets\)/, mutate: (ds) => (promPanel(ds).targets = []) },
    { name: 'a query without refId', expect: /query without refId/, mutate: (ds) => delete firstTarget(promPanel(ds))['refId'] },
    {
      name: 'two panels with one id',
      expect: /duplicate panel id/,
      mutate: (ds) => {
        const d = byUid(ds, 'parley-llm');
        (d.panels[2] as Panel).id = (d.panels[1] as Panel).id;
      },
    },
    {
      name: 'overlapping panels',
      expect: /overlaps panel/,
      mutate: (ds) => {
        const d = byUid(ds, 'parley-llm');
        (d.panels[2] as Panel).gridPos = { ...(d.panels[1] as Panel).gridPos };
      },
    },
    { name: 'a panel wider than the grid', expect: /does not fit the 24-column grid/, mutate: (ds) => (promPanel(ds).gridPos.w = 30) },
    { name: 'a timeseries without a unit', expect: /timeseries panel without a unit/, mutate: (ds) => delete (promPanel(ds).fieldConfig as { defaults: Json }).defaults['unit'] },
    {
      name: 'a metric no service exposes',
      expect: /unknown metric http_requests_total/,
      mutate: (ds) => (firstTarget(promPanel(ds))['expr'] = 'sum(rate(http_requests_total[$__rate_interval]))'),
    },
    {
      name: 'a histogram queried by its family name',
      expect: /unknown metric http_server_request_duration_seconds \(/,
      mutate: (ds) => (firstTarget(promPanel(ds))['expr'] = 'sum(http_server_request_duration_seconds)'),
    },
    {
      name: 'rate over $__interval',
      expect: /rate\(\) over \[\$__interval\]: use \$__rate_interval/,
      mutate: (ds) => (firstTarget(promPanel(ds))['expr'] = 'sum(rate(http_server_request_duration_seconds_count[$__interval]))'),
    },
    {
      name: 'rate over a window shorter than four scrapes',
      expect: /rate\(\) over \[30s\] is shorter than \$__rate_interval/,
      mutate: (ds) => (firstTarget(promPanel(ds))['expr'] = 'sum(rate(http_server_request_duration_seconds_count[30s]))'),
    },
    {
      name: 'increase of a gauge',
      expect: /increase\(\) of process_resident_memory_bytes, which is not a counter/,
      mutate: (ds) => (firstTarget(promPanel(ds))['expr'] = 'sum(increase(process_resident_memory_bytes[$__rate_interval]))'),
    },
    {
      name: 'histogram_quantile over an aggregation without le',
      expect: /drops le/,
      mutate: (ds) => (firstTarget(promPanel(ds))['expr'] = 'histogram_quantile(0.95, sum by (job) (rate(http_server_request_duration_seconds_bucket[$__rate_interval])))'),
    },
    {
      name: 'histogram_quantile of the _count series',
      expect: /histogram_quantile\(\) of http_server_request_duration_seconds_count: it needs the _bucket series/,
      mutate: (ds) => (firstTarget(promPanel(ds))['expr'] = 'histogram_quantile(0.95, rate(http_server_request_duration_seconds_count[$__rate_interval]))'),
    },
    { name: 'unbalanced PromQL', expect: /PromQL: unclosed \(/, mutate: (ds) => (firstTarget(promPanel(ds))['expr'] = 'sum(rate(up[$__rate_interval])') },
    { name: 'a variable the dashboard does not define', expect: /uses \$tenant, which is not a variable/, mutate: (ds) => (firstTarget(promPanel(ds))['expr'] = 'sum(up{job=~"$tenant"})') },
    {
      name: 'a query variable reading an unknown metric',
      expect: /variable service: unknown metric http_requests_total/,
      mutate: (ds) => {
        const v = byUid(ds, 'parley-services').templating.list.find((x) => x['name'] === 'service') as Json;
        v['query'] = { query: 'label_values(http_requests_total, job)' };
      },
    },
    {
      name: 'a Loki stream selector on structured metadata',
      expect: /stream selector on parley_stream, which is structured metadata/,
      mutate: (ds) => (firstTarget(lokiPanel(ds))['expr'] = '{parley_stream="audit", service_name="gateway"} | json'),
    },
    {
      name: 'a Loki stream selector that matches the empty value',
      expect: /needs a matcher that cannot match the empty value/,
      mutate: (ds) => (firstTarget(lokiPanel(ds))['expr'] = '{service_name=~".*"} | json'),
    },
    { name: 'an empty Loki query', expect: /empty loki query/, mutate: (ds) => (firstTarget(lokiPanel(ds))['expr'] = ' ') },
    { name: 'TraceQL that is not a spanset filter', expect: /TraceQL query must start with a spanset filter/, mutate: (ds) => (firstTarget(tempoTable(ds))['query'] = 'span.parley.safety.action = "block"') },
    { name: 'TraceQL with an unclosed brace', expect: /TraceQL: unclosed bracket/, mutate: (ds) => (firstTarget(tempoTable(ds))['query'] = '{ span.parley.auth.outcome = "failure"') },
    { name: 'a Tempo query of another kind', expect: /Tempo query type nativeSearch/, mutate: (ds) => (firstTarget(tempoTable(ds))['queryType'] = 'nativeSearch') },
    {
      name: 'a link to a dashboard that does not exist',
      expect: /links to \/d\/parley-overview, which is not one of the dashboards/,
      mutate: (ds) => (panel(byUid(ds, 'parley-slo'), 'text')['options'] = { mode: 'markdown', content: '[old](/d/parley-overview)' }),
    },
  ];

  it.each(cases)('catches $name', ({ mutate, expect: pattern }) => {
    const ds = fresh();
    mutate(ds);
    const problems = lint(ds);
    expect(problems.some((p) => pattern.test(p)), `expected a problem matching ${pattern}, got:\n${problems.join('\n')}`).toBe(true);
  });

  it('names the dashboard, the panel and the query of each problem', () => {
    const ds = fresh();
    const p = promPanel(ds);
    firstTarget(p)['expr'] = 'sum(rate(http_requests_total[$__rate_interval]))';
    expect(lint(ds)).toEqual([`parley-services panel ${p.id} "${String(p['title'])}" query A: unknown metric http_requests_total (not in docs/metrics.md, the prom-client defaults, the recording rules or the external families traces_span_metrics_, traces_service_graph_, otelcol_, k6_)`]);
  });
});
