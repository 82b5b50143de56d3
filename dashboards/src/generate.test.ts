import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { diffGenerated, renderDashboards } from './generate.js';
import { buildDashboards } from './index.js';
import { loadRepoFacts, parseAuditTypes } from './repo-facts.js';
import { toStableJson } from './serialize.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const facts = loadRepoFacts(root);

describe('the generated dashboards', () => {
  it('are committed as generated: dashboards/generated matches dashboards/src (npm run dashboards)', () => {
    expect(diffGenerated(`${root}dashboards/generated`, renderDashboards(buildDashboards(facts)))).toEqual([]);
  });

  it('have the fixed uids, the SLO landing page first', () => {
    expect(buildDashboards(facts).map((d) => d.uid)).toEqual(['parley-slo', 'parley-services', 'parley-llm', 'parley-safety', 'parley-audit', 'parley-dependencies', 'parley-load', 'parley-telemetry']);
  });

  it('render the same bytes however the builders ordered the keys', () => {
    expect(toStableJson({ b: 1, a: { d: [2, { z: 1, y: 0 }], c: null } })).toBe('{\n  "a": {\n    "c": null,\n    "d": [\n      2,\n      {\n        "y": 0,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n');
  });

  it('offer the audit types the platform knows (packages/platform/src/audit/types.ts)', () => {
    expect(facts.auditTypes).toContain('ratelimit.rejected');
    const audit = buildDashboards(facts).find((d) => d.uid === 'parley-audit');
    const type = audit?.templating.list?.find((v) => v.name === 'type');
    expect(type?.options?.map((o) => o.value)).toEqual([...facts.auditTypes]);
  });

  it('fail loudly when the audit types cannot be found', () => {
    expect(parseAuditTypes("export const AUDIT_TYPES = ['auth.failure', 'safety.blocked'] as const;")).toEqual(['auth.failure', 'safety.blocked']);
    expect(() => parseAuditTypes('export const OTHER = [];')).toThrow(/AUDIT_TYPES not found/);
  });
});
