/**
 * PromQL building blocks. Every rate goes over `$__rate_interval` (at least four scrapes, so
 * a missed scrape does not blank the graph) unless a panel asks for the whole time range.
 */

export const RATE_INTERVAL = '$__rate_interval';
export const TIME_RANGE = '$__range';

/** Ops endpoints are not user traffic (and /readyz answers 503 by design while a dependency is down). */
export const NOT_OPS = 'http_route!~"/livez|/readyz|/metrics"';
/** The two chat routes of the availability SLO, as the gateway labels them. */
export const CHAT_ROUTES = 'http_route=~"/api/v1/chat|/v1/chat/completions"';
export const SERVER_ERRORS = 'http_response_status_code=~"5.."';

export type Matchers = readonly string[];

/** `metric{a="b",c=~"d"}`; empty matchers give the bare name. */
export function selector(metric: string, matchers: Matchers = []): string {
  return matchers.length ? `${metric}{${matchers.join(',')}}` : metric;
}

/** `sum by (a, b) ` or `sum`: the aggregation with its grouping, ready for its `(...)`. */
function sum(labels: readonly string[]): string {
  return labels.length ? `sum by (${labels.join(', ')}) ` : 'sum';
}

/** `sum by (labels) (fn(metric{...}[range]))` for a counter (fn: rate or increase). */
export function sumOver(fn: 'rate' | 'increase', metric: string, matchers: Matchers = [], labels: readonly string[] = [], range = RATE_INTERVAL): string {
  return `${sum(labels)}(${fn}(${selector(metric, matchers)}[${range}]))`;
}

export const sumRate = (metric: string, matchers: Matchers = [], labels: readonly string[] = [], range = RATE_INTERVAL): string =>
  sumOver('rate', metric, matchers, labels, range);

export const sumIncrease = (metric: string, matchers: Matchers = [], labels: readonly string[] = [], range = TIME_RANGE): string =>
  sumOver('increase', metric, matchers, labels, range);

/** `histogram_quantile(q, sum by (labels, le) (rate(<histogram>_bucket{...}[range])))`. */
export function quantile(q: number, histogram: string, matchers: Matchers = [], labels: readonly string[] = [], range = RATE_INTERVAL): string {
  return `histogram_quantile(${q}, ${sumRate(`${histogram}_bucket`, matchers, [...labels, 'le'], range)})`;
}

/**
 * `part / whole` of two counter selectors per `labels`. "or 0 * whole" turns "no part series
 * yet" (a label set created on its first event) into 0, not no result, the same way the
 * recording rules in deploy/prometheus/rules do.
 */
export function ratio(part: string, whole: string, labels: readonly string[] = [], range = RATE_INTERVAL): string {
  const total = `${sum(labels)}(rate(${whole}[${range}]))`;
  return `(${sum(labels)}(rate(${part}[${range}])) or 0 * ${total}) / ${total}`;
}

/** Share of a counter's events that also match `part`, per `labels`. */
export const shareOf = (metric: string, matchers: Matchers, part: string, labels: readonly string[] = [], range = RATE_INTERVAL): string =>
  ratio(selector(metric, [...matchers, part]), selector(metric, matchers), labels, range);

/** 5xx share of HTTP server requests. */
export const serverErrorRatio = (matchers: Matchers, labels: readonly string[] = [], range = RATE_INTERVAL): string =>
  shareOf('http_server_request_duration_seconds_count', matchers, SERVER_ERRORS, labels, range);

/** A gauge per state as one number per `labels` (e.g. breaker states: 0 closed, 1 half open, 2 open). */
export function weightedStates(metric: string, matchers: Matchers, label: string, weights: Readonly<Record<string, number>>, labels: readonly string[]): string {
  return Object.entries(weights)
    .map(([value, weight]) => `${weight} * ${sum(labels)}(${selector(metric, [...matchers, `${label}="${value}"`])})`)
    .join(' + ');
}
