import { Router } from 'express';
import type { ChatServiceRelay } from '../proxy/chat-service-relay.js';

/**
 * `GET /api/v1/admin/breakers`: chat-service's circuit breakers (LLM models and providers,
 * safety-service) as it sees them. Admin only: mount after adminRoutes, whose guard covers
 * every /api/v1/admin path.
 */
export function breakerRoutes(options: { relay: ChatServiceRelay }): Router {
  const router = Router();
  router.get('/api/v1/admin/breakers', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    options.relay.send(res, await options.relay.call(req, res, { route: '/api/v1/admin/breakers', method: 'GET', path: '/api/v1/admin/breakers' }));
  });
  return router;
}
