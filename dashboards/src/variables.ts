import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { PROMETHEUS } from './datasources.js';

const ALL: dashboard.VariableOption = { selected: true, text: ['All'], value: ['$__all'] };

/**
 * A multi-value variable from `label_values(<metric>, <label>)`. "All" matches any value
 * (`.+`), also ones that appear after the dashboard was loaded.
 */
export function labelValuesVariable(name: string, label: string, metric: string, labelName: string): dashboard.QueryVariableBuilder {
  const definition = `label_values(${metric}, ${labelName})`;
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(PROMETHEUS)
    .query({ qryType: 1, query: definition, refId: 'PrometheusVariableQueryEditor-VariableQuery' })
    .definition(definition)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.+')
    .current(ALL);
}

/** `$service`: Prometheus job = service name (gateway, chat-service, safety-service, llm-sim). */
export const serviceVariable = (): dashboard.QueryVariableBuilder =>
  labelValuesVariable('service', 'Service', 'http_server_request_duration_seconds_count', 'job');

/** A fixed list to pick from (multi-value, "All" matches anything). */
export function listVariable(name: string, label: string, values: readonly string[]): dashboard.CustomVariableBuilder {
  return new dashboard.CustomVariableBuilder(name)
    .label(label)
    .values(values.join(','))
    .multi(true)
    .includeAll(true)
    .allValue('.+')
    .current(ALL)
    .options(values.map((value) => ({ selected: false, text: value, value })));
}

/** Free text, empty by default (a `|= "$name"` line filter then matches every line). */
export function searchVariable(name: string, label: string, description: string): dashboard.TextBoxVariableBuilder {
  return new dashboard.TextBoxVariableBuilder(name).label(label).description(description).current({ selected: false, text: '', value: '' });
}
