import { Router } from 'express';
import { z } from 'zod';
import { NotFoundError, jsonBody, parseWith } from '@parley/platform';
import { principalOf, type Access } from '../auth/access.js';
import type { AuditRecorder } from '../auth/audit-recorder.js';
import { ROLES, type ApiKeyStore } from '../identity/index.js';
import type { LimitStore } from '../limits/index.js';

const name = z.string().trim().min(1).max(100).regex(/^[\w .@:-]+$/, 'letters, digits, space and . _ @ : - only');
const createKeyBody = z.strictObject({
  name,
  role: z.enum(ROLES),
  client: name.optional(),
  expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
});
const rotateBody = z.strictObject({ grace_seconds: z.number().int().min(0).max(30 * 86_400).default(3_600) });
const killSwitchBody = z.strictObject({ enabled: z.boolean(), reason: z.string().trim().max(200).optional() });
const keyId = z.string().regex(/^[a-z2-7]{12}$/, 'not a key id');

export interface AdminRoutesOptions {
  access: Access;
  audit: AuditRecorder;
  apiKeys: ApiKeyStore;
  limits: LimitStore;
}

/** Operator actions: API keys and the kill switch. Every change is audited before it is acknowledged. */
export function adminRoutes(options: AdminRoutesOptions): Router {
  const { access, audit, apiKeys, limits } = options;
  const router = Router();
  router.use('/api/v1/admin', access.authenticate(), access.limitByPrincipal(), access.requireRole('admin'));

  router.post('/api/v1/admin/keys', ...jsonBody({ limit: '4kb' }), async (req, res) => {
    const body = parseWith(createKeyBody, req.body);
    const actor = principalOf(res);
    const { record, key } = await apiKeys.create({
      name: body.name,
      role: body.role,
      ...(body.client ? { client: body.client } : {}),
      ...(body.expires_at !== undefined ? { expires_at: body.expires_at } : {}),
    });
    await audit.record(req, res, {
      type: 'apikey.created',
      principal: actor.id,
      principal_kind: actor.kind,
      outcome: 'success',
      details: { key_id: record.id, role: record.role, client: record.client },
    });
    res.status(201).json({ id: record.id, key, name: record.name, client: record.client, role: record.role, created_at: record.created_at, expires_at: record.expires_at });
  });

  router.get('/api/v1/admin/keys', async (req, res) => {
    const query = parseWith(z.object({ client: name.optional(), include_revoked: z.stringbool().default(false) }), req.query, 'query');
    res.json({ keys: await apiKeys.list({ ...(query.client ? { client: query.client } : {}), includeRevoked: query.include_revoked }) });
  });

  router.delete('/api/v1/admin/keys/:id', async (req, res) => {
    const id = parseWith(keyId, req.params['id'], 'key id');
    const actor = principalOf(res);
    const record = await apiKeys.revoke(id);
    if (!record) throw new NotFoundError('No such API key.');
    await audit.record(req, res, { type: 'apikey.revoked', principal: actor.id, principal_kind: actor.kind, outcome: 'success', details: { key_id: id } });
    res.json(record);
  });

  router.post('/api/v1/admin/keys/:id/rotate', ...jsonBody({ limit: '1kb' }), async (req, res) => {
    const id = parseWith(keyId, req.params['id'], 'key id');
    const body = parseWith(rotateBody, req.body ?? {});
    const actor = principalOf(res);
    const rotated = await apiKeys.rotate(id, { graceSeconds: body.grace_seconds });
    await audit.record(req, res, {
      type: 'apikey.rotated',
      principal: actor.id,
      principal_kind: actor.kind,
      outcome: 'success',
      details: { key_id: rotated.record.id, previous_key_id: id, grace_seconds: body.grace_seconds },
    });
    res.status(201).json({ id: rotated.record.id, key: rotated.key, previous: rotated.previous });
  });

  router.get('/api/v1/admin/kill-switch', async (_req, res) => {
    res.json(await limits.killSwitch());
  });

  router.put('/api/v1/admin/kill-switch', ...jsonBody({ limit: '1kb' }), async (req, res) => {
    const body = parseWith(killSwitchBody, req.body);
    const actor = principalOf(res);
    const state = { enabled: body.enabled, ...(body.reason ? { reason: body.reason } : {}), changed_at: new Date().toISOString(), changed_by: actor.id };
    // Recorded first: a kill-switch change must never happen unrecorded.
    await audit.record(req, res, {
      type: 'killswitch.changed',
      principal: actor.id,
      principal_kind: actor.kind,
      outcome: 'success',
      reason: body.enabled ? 'enabled' : 'disabled',
    });
    await limits.setKillSwitch(state);
    res.json(state);
  });

  return router;
}
