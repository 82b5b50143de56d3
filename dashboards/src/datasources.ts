import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

/**
 * The data source uids provisioned in deploy/grafana/provisioning/datasources/parley.yaml.
 * Dashboards refer to nothing else: a fixed uid survives a Grafana rebuild, a name does not.
 */
export const DATASOURCE_UIDS = { prometheus: 'prometheus', tempo: 'tempo', loki: 'loki' } as const;
export type DatasourceType = keyof typeof DATASOURCE_UIDS;

/** The dashboard variable every Prometheus panel goes through (it defaults to the fixed uid). */
export const DATASOURCE_VARIABLE = 'datasource';

export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: `\${${DATASOURCE_VARIABLE}}` };
export const TEMPO: DataSourceRef = { type: 'tempo', uid: DATASOURCE_UIDS.tempo };
export const LOKI: DataSourceRef = { type: 'loki', uid: DATASOURCE_UIDS.loki };

/** `$datasource`: any Prometheus data source, the provisioned one (uid `prometheus`) by default. */
export function prometheusVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder(DATASOURCE_VARIABLE)
    .label('Prometheus')
    .type('prometheus')
    .current({ selected: true, text: 'Prometheus', value: DATASOURCE_UIDS.prometheus });
}
