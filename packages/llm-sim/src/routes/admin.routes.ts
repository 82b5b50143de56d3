import { jsonBody, methodNotAllowed, parseWith, ValidationError } from '@parley/platform';
import { Router } from 'express';
import { FaultSpecError } from '../faults.js';
import { settingsPatchSchema } from '../settings.js';
import type { Simulator } from '../simulator.js';

/**
 * The drill controls, mounted under /_sim: GET/PUT config (PUT merges the fields it is given),
 * POST reset, GET stats.
 */
export function adminRoutes(simulator: Simulator): Router {
  const router = Router();
  router.get('/config', (_req, res) => {
    res.json(simulator.view());
  });
  router.put('/config', ...jsonBody({ limit: '64kb' }), (req, res) => {
    const patch = parseWith(settingsPatchSchema, req.body, 'simulator settings');
    try {
      res.json(simulator.configure(patch));
    } catch (err) {
      if (err instanceof FaultSpecError) throw new ValidationError(`Invalid fail_next.fault: ${err.message}.`);
      throw err;
    }
  });
  router.post('/reset', (_req, res) => {
    res.json(simulator.reset());
  });
  router.get('/stats', (_req, res) => {
    res.json(simulator.stats());
  });
  router.all('/config', methodNotAllowed(['GET', 'PUT']));
  router.all('/reset', methodNotAllowed(['POST']));
  router.all('/stats', methodNotAllowed(['GET']));
  return router;
}
