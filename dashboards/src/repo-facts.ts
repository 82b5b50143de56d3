import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the dashboards take from the rest of the repository instead of keeping a copy. */
export interface RepoFacts {
  /** The known audit event types (packages/platform/src/audit/types.ts AUDIT_TYPES). */
  auditTypes: readonly string[];
}

export function parseAuditTypes(typesSource: string): string[] {
  const list = /export const AUDIT_TYPES = \[([^\]]*)\]/.exec(typesSource)?.[1];
  const types = [...(list ?? '').matchAll(/'([a-z_.]+)'/g)].map((m) => m[1] as string);
  if (types.length === 0) throw new Error('AUDIT_TYPES not found in packages/platform/src/audit/types.ts');
  return types;
}

export function loadRepoFacts(root: string): RepoFacts {
  return { auditTypes: parseAuditTypes(readFileSync(join(root, 'packages/platform/src/audit/types.ts'), 'utf8')) };
}
