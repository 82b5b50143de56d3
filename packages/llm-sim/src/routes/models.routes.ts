import { methodNotAllowed } from '@parley/platform';
import { Router } from 'express';
import { ModelNotFoundError } from '../errors.js';
import { modelObject } from '../openai-shapes.js';

/** GET /v1/models and GET /v1/models/:id, from the configured model ids. */
export function modelsRoutes(models: readonly string[]): Router {
  const router = Router();
  router.get('/v1/models', (_req, res) => {
    res.json({ object: 'list', data: models.map(modelObject) });
  });
  router.get('/v1/models/:id', (req, res) => {
    const id = req.params['id'] ?? '';
    if (!models.includes(id)) {
      throw new ModelNotFoundError(`The model \`${id.slice(0, 64)}\` does not exist or you do not have access to it.`);
    }
    res.json(modelObject(id));
  });
  router.all('/v1/models', methodNotAllowed(['GET']));
  router.all('/v1/models/:id', methodNotAllowed(['GET']));
  return router;
}
