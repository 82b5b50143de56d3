import { describe, expect, it } from 'vitest';
import { RATE_FUNCTIONS, calls, durationSeconds, groupings, metricNames, tokenize, unbalanced } from './promql-scan.js';

const names = (expr: string): string[] => metricNames(tokenize(expr));

describe('metricNames', () => {
  it('finds the series selectors, not functions, aggregations, labels, keywords or numbers', () => {
    expect(names('histogram_quantile(0.95, sum by (job, le) (rate(http_server_request_duration_seconds_bucket{job=~"$service",le="2.56"}[$__rate_interval])))')).toEqual([
      'http_server_request_duration_seconds_bucket',
    ]);
    expect(names('sum(rate(a_total[5m])) by (job) / on (job) group_left(kind) b_total offset 1h or 0 * c_total > bool 1e3')).toEqual(['a_total', 'b_total', 'c_total']);
    expect(names('label_replace(sum by (x) (rate(m_total[1m])), "x", "ok", "x", "")')).toEqual(['m_total']);
    expect(names('2 * max by (alertname) (ALERTS{alertstate="firing"}) or max without (instance) (ALERTS)')).toEqual(['ALERTS', 'ALERTS']);
  });

  it('keeps recording-rule names whole', () => {
    expect(names('slo:chat_request_errors:ratio_rate1h / 0.001')).toEqual(['slo:chat_request_errors:ratio_rate1h']);
  });
});

describe('calls', () => {
  it('gives each rate-like call its own range, also when nested', () => {
    const found = calls(tokenize('sum(rate(a_total[$__rate_interval])) / sum(increase(b_total[30d])) + deriv(c[5m]) + rate(d_total[5m:1m])'), RATE_FUNCTIONS);
    expect(found.map((c) => [c.fn, c.range])).toEqual([
      ['rate', '$__rate_interval'],
      ['increase', '30d'],
      ['rate', '5m:1m'],
    ]);
  });

  it('reports a call without a range', () => {
    expect(calls(tokenize('rate(a_total)'), RATE_FUNCTIONS)[0]?.range).toBeUndefined();
  });
});

describe('groupings', () => {
  it('lists the labels of by and without clauses', () => {
    expect(groupings(tokenize('sum by (job, le) (x) + sum without (instance) (y)'))).toEqual([
      { kind: 'by', labels: ['job', 'le'] },
      { kind: 'without', labels: ['instance'] },
    ]);
  });
});

describe('unbalanced', () => {
  it('finds unclosed and stray brackets, ignoring those in strings', () => {
    expect(unbalanced(tokenize('sum(rate(x[5m])'))).toBe('unclosed (');
    expect(unbalanced(tokenize('x{a="("}'))).toBeUndefined();
    expect(unbalanced(tokenize('x)'))).toBe('unexpected )');
  });
});

describe('durationSeconds', () => {
  it('reads PromQL durations', () => {
    expect(durationSeconds('1h30m')).toBe(5400);
    expect(durationSeconds('30d')).toBe(2_592_000);
    expect(durationSeconds('500ms')).toBe(0.5);
    expect(durationSeconds('$__rate_interval')).toBeUndefined();
  });
});
