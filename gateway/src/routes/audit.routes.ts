import { Router } from 'express';
import { z } from 'zod';
import { parseWith, type AuditLog } from '@parley/platform';
import type { Access } from '../auth/access.js';

const querySchema = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  type: z.string().regex(/^[a-z_]+(\.[a-z_]+)*$/).max(64).optional(),
  principal: z.string().min(1).max(128).optional(),
  trace_id: z.string().regex(/^[\da-f]{32}$/).optional(),
  cursor: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});

/** For security reviewers: read and verify the audit trail (auditor or admin). */
export function auditRoutes(options: { access: Access; audit: AuditLog }): Router {
  const { access, audit } = options;
  const router = Router();
  router.use('/api/v1/audit', access.authenticate(), access.limitByPrincipal(), access.requireRole('auditor', 'admin'));

  router.get('/api/v1/audit', async (req, res) => {
    const q = parseWith(querySchema, req.query, 'query');
    res.setHeader('Cache-Control', 'no-store');
    res.json(
      await audit.query({
        ...(q.from ? { from: new Date(q.from) } : {}),
        ...(q.to ? { to: new Date(q.to) } : {}),
        ...(q.type ? { type: q.type } : {}),
        ...(q.principal ? { principal: q.principal } : {}),
        ...(q.trace_id ? { trace_id: q.trace_id } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
        limit: q.limit,
      }),
    );
  });

  router.get('/api/v1/audit/verify', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await audit.verify());
  });

  return router;
}
