import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { ServiceUnavailableError, jsonBody, parseWith } from '@parley/platform';
import { authOf, principalOf, type Access } from '../auth/access.js';
import type { AuditRecorder } from '../auth/audit-recorder.js';
import type { SessionService } from '../domain/sessions.js';
import type { ChatServiceRelay, UpstreamReply } from '../proxy/chat-service-relay.js';

const createSessionBody = z.strictObject({ language: z.enum(['en', 'de', 'fr']).default('en') });

export interface SessionRoutesOptions {
  sessions: SessionService;
  access: Access;
  audit: AuditRecorder;
  /** Export and erase live in chat-service: called as the session, through the relay. */
  relay: ChatServiceRelay;
}

/** Sessions: mint (anyone), export and erase (the session itself). */
export function sessionRoutes(options: SessionRoutesOptions): Router {
  const { sessions, access, audit } = options;
  const router = Router();

  /** Calls chat-service for this principal; anything but a 2xx is its outage to the user. */
  const callChat = async (req: Request, res: Response, method: 'GET' | 'DELETE', path: string): Promise<UpstreamReply> => {
    const reply = await options.relay.call(req, res, { route: path, method, path });
    if (reply.status < 200 || reply.status >= 300) throw new ServiceUnavailableError(`The chat service answered ${reply.status}.`, { retryAfterSeconds: 5 });
    return reply;
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
    const upstream = JSON.parse((await callChat(req, res, 'GET', '/api/v1/sessions/current/export')).text) as Record<string, unknown>;
    const session = authOf(res)?.session?.session;
    await audit.record(req, res, { type: 'session.exported', principal: principal.id, principal_kind: principal.kind, outcome: 'success' });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ ...upstream, ...(session ? { session } : {}) });
  });

  // Erasure is never refused by a rate limit: a user must always be able to leave.
  router.delete('/api/v1/sessions/current', access.authenticate(), async (req, res) => {
    const principal = principalOf(res);
    await callChat(req, res, 'DELETE', '/api/v1/sessions/current');
    const session = authOf(res)?.session;
    if (session) await sessions.revoke(session.token);
    await audit.record(req, res, { type: 'session.erased', principal: principal.id, principal_kind: principal.kind, outcome: 'success' });
    res.status(204).end();
  });

  return router;
}
