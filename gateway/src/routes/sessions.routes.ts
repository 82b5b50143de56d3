import { Router } from 'express';
import { z } from 'zod';
import { jsonBody, parseWith } from '@parley/platform';
import type { SessionService } from '../domain/sessions.js';

const createSessionBody = z.object({ language: z.enum(['en', 'de', 'fr']).default('en') }).strict();

export function sessionRoutes(sessions: SessionService): Router {
  const router = Router();
  router.post('/api/v1/sessions', ...jsonBody({ limit: '2kb' }), async (req, res) => {
    const body = parseWith(createSessionBody, req.body ?? {});
    res.status(201).json(await sessions.mint(body.language));
  });
  return router;
}
