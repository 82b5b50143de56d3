import { Router, type RequestHandler } from 'express';
import { ForbiddenError, identityOf, requireInternalIdentity, type IdentityVerifier, type BreakerSnapshot } from '@parley/platform';

/** Admin-only: the gateway checks the admin key; this checks the role it signed. */
export const requireAdminIdentity: RequestHandler = (_req, res, next) => {
  if (identityOf(res).role !== 'admin') throw new ForbiddenError('This needs an admin key.');
  next();
};

/** Operators' views of chat-service: the circuit breakers' states. */
export function adminRoutes(options: { verifier: IdentityVerifier; breakers: () => BreakerSnapshot[] }): Router {
  const router = Router();
  router.get('/api/v1/admin/breakers', requireInternalIdentity(options.verifier), requireAdminIdentity, (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ breakers: options.breakers() });
  });
  return router;
}
