import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { prometheusVariable } from './datasources.js';

/** A titled row and the panels under it, laid out left to right (widths of a line add up to 24). */
export interface Section {
  title: string;
  panels: cog.Builder<dashboard.Panel>[];
}

/** Who a dashboard is: see directory.ts. */
export interface DashboardMeta {
  /** Fixed: other dashboards, the home dashboard setting and bookmarks link to it. */
  uid: string;
  title: string;
  /** One line for the links on the landing page. */
  summary: string;
  /** What the dashboard answers (Grafana shows it in the dashboard list). */
  description: string;
  tags: readonly string[];
  /** Default time range, e.g. 'now-3h'. */
  from?: string;
}

export interface DashboardSpec extends DashboardMeta {
  /** Variables after `$datasource`. */
  variables?: cog.Builder<dashboard.VariableModel>[];
  sections: Section[];
}

/** Every Parley dashboard carries this tag; the dashboards menu at the top lists them by it. */
export const PARLEY_TAG = 'parley';

type Target = { refId?: string };

/** Panel ids in reading order and refIds A, B, ... per panel: stable across regenerations. */
function number(built: dashboard.Dashboard): void {
  // The SDK puts links in the controls menu (Grafana 12); Parley's belong in plain sight.
  for (const link of built.links ?? []) delete link.placement;
  let id = 0;
  for (const panel of built.panels ?? []) {
    panel.id = ++id;
    // Panel's `type` is any string, so it does not narrow Panel | RowPanel.
    ((panel as dashboard.Panel).targets as Target[] | undefined)?.forEach((target, i) => {
      target.refId ??= String.fromCharCode(65 + i);
    });
  }
}

/** Builds a provisioned (read-only) Parley dashboard as the plain JSON Grafana reads. */
export function createParleyDashboard(spec: DashboardSpec): dashboard.Dashboard {
  const builder = new dashboard.DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([PARLEY_TAG, ...spec.tags])
    .timezone('browser')
    .readonly()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: spec.from ?? 'now-3h', to: 'now' })
    .refresh('30s')
    .link(
      new dashboard.DashboardLinkBuilder('Parley dashboards')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([PARLEY_TAG])
        .asDropdown(true)
        .keepTime(true)
        .includeVars(false)
        .targetBlank(false)
        .icon('external link')
        .tooltip(''),
    )
    .withVariable(prometheusVariable());
  for (const variable of spec.variables ?? []) builder.withVariable(variable);
  for (const section of spec.sections) {
    builder.withRow(new dashboard.RowBuilder(section.title));
    for (const panel of section.panels) builder.withPanel(panel);
  }
  // A JSON round trip leaves exactly what is written to the file (builders carry methods).
  const built = JSON.parse(JSON.stringify(builder.build())) as dashboard.Dashboard;
  number(built);
  return built;
}
