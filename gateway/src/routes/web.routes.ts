import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';
import { ServiceUnavailableError } from '@parley/platform';

/**
 * The built Vue UI at `/`: hashed assets cached for a year, index.html never cached,
 * and index.html for any other GET outside the API so client-side routes survive a reload.
 */
export function webRoutes(distDir: string | undefined): Router {
  const router = Router();
  const index = distDir ? join(distDir, 'index.html') : undefined;
  if (!distDir || !index || !existsSync(index)) {
    router.get(/^\/(?!api\/|v1\/).*/, () => {
      throw new ServiceUnavailableError('The web UI is not built; run `npm run build`.', { retryAfterSeconds: 30 });
    });
    return router;
  }
  router.use(
    '/assets',
    express.static(join(distDir, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false, index: false }),
  );
  router.use(express.static(distDir, { index: false, maxAge: 0 }));
  router.get(/^\/(?!api\/|v1\/).*/, (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
