import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { auditDashboard } from './dashboards/audit.js';
import { dependenciesDashboard } from './dashboards/dependencies.js';
import { llmDashboard } from './dashboards/llm.js';
import { loadDashboard } from './dashboards/load.js';
import { safetyDashboard } from './dashboards/safety.js';
import { servicesDashboard } from './dashboards/services.js';
import { sloDashboard } from './dashboards/slo.js';
import { telemetryDashboard } from './dashboards/telemetry.js';
import type { RepoFacts } from './repo-facts.js';

/** Every Parley dashboard, the landing page (SLOs) first. Each is written to generated/<uid>.json. */
export function buildDashboards(facts: RepoFacts): dashboard.Dashboard[] {
  return [sloDashboard(), servicesDashboard(), llmDashboard(), safetyDashboard(), auditDashboard(facts.auditTypes), dependenciesDashboard(), loadDashboard(), telemetryDashboard()];
}
