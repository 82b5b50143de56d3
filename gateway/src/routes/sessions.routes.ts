import { Router, type Response } from 'express';
import { z } from 'zod';
import { IDENTITY_HEADER, ServiceUnavailableError, jsonBody, parseWith, type IdentitySigner } from '@parley/platform';
import { authOf, internalIdentityOf, principalOf, type Access } from '../auth/access.js';
import type { AuditRecorder } from '../auth/audit-recorder.js';
import type { SessionService } from '../domain/sessions.js';

const createSessionBody = z.strictObject({ language: z.enum(['en', 'de', 'fr']).default('en') });

export interface SessionRoutesOptions {
  sessions: SessionService;
  access: Access;
  audit: AuditRecorder;
  signer: IdentitySigner;
  chatServiceUrl: string;
  /** Injected for tests; global fetch by default. */
  fetch?: typeof fetch;
}

/** Sessions: mint (anyone), export and erase (the session itself). */
export function sessionRoutes(options: SessionRoutesOptions): Router {
  const { sessions, access, audit } = options;
  const doFetch = options.fetch ?? fetch;
  const router = Router();

  /** Calls chat-service for this principal (export and erase live there). */
  const callChat = async (res: Response, method: 'GET' | 'DELETE', path: string): Promise<globalThis.Response> => {
    const identity = await options.signer.sign(internalIdentityOf(res), 'chat-service');
    let upstream: globalThis.Response;
    try {
      upstream = await doFetch(new URL(path, options.chatServiceUrl), { method, headers: { [IDENTITY_HEADER]: identity }, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw new ServiceUnavailableError('The chat service is unavailable; try again shortly.', { cause: err, retryAfterSeconds: 5 });
    }
    if (!upstream.ok) throw new ServiceUnavailableError(`The chat service answered ${upstream.status}.`, { retryAfterSeconds: 5 });
    return upstream;
  };

  router.post('/api/v1/sessions', access.limitByIp(), ...jsonBody({ limit: '2kb' }), async (req, res) => {
    const body = parseWith(createSessionBody, req.body ?? {});
    const minted = await sessions.mint(body.language);
    audit.recordLater(req, res, {
      type: 'session.created',
      principal: minted.session_id,
      principal_kind: 'session',
      outcome: 'success',
      details: { language: body.language },
    });
    res.status(201).json({ session_id: minted.session_id, token: minted.token, expires_at: minted.expires_at });
  });

  const owner = [access.authenticate(), access.limitByPrincipal()];

  router.get('/api/v1/sessions/current/export', ...owner, async (req, res) => {
    const principal = principalOf(res);
    const upstream = (await (await callChat(res, 'GET', '/api/v1/sessions/current/export')).json()) as Record<string, unknown>;
    const session = authOf(res)?.session?.session;
    await audit.record(req, res, { type: 'session.exported', principal: principal.id, principal_kind: principal.kind, outcome: 'success' });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ ...upstream, ...(session ? { session } : {}) });
  });

  // Erasure is never refused by a rate limit: a user must always be able to leave.
  router.delete('/api/v1/sessions/current', access.authenticate(), async (req, res) => {
    const principal = principalOf(res);
    await callChat(res, 'DELETE', '/api/v1/sessions/current');
    const session = authOf(res)?.session;
    if (session) await sessions.revoke(session.token);
    await audit.record(req, res, { type: 'session.erased', principal: principal.id, principal_kind: principal.kind, outcome: 'success' });
    res.status(204).end();
  });

  return router;
}
