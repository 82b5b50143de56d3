import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router, type Response } from 'express';
import { ServiceUnavailableError } from '@parley/platform';

/** Pages and the widget keep their names across builds, so browsers revalidate them on every load. */
function revalidate(res: Response): void {
  res.setHeader('Cache-Control', 'no-cache');
}

/**
 * The built Vue UI at `/`: hashed assets cached for a year, index.html never cached,
 * and index.html for any other GET outside the API so client-side routes survive a reload.
 * Also the embeddable widget at `/widget.js` and the demo host page that embeds it at `/demo/`.
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
  // Other sites load the widget with a plain <script src>: helmet's default
  // Cross-Origin-Resource-Policy (same-origin) would make the browser refuse it there.
  router.get('/widget.js', (_req, res, next) => {
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    revalidate(res);
    next();
  });
  const demo = join(distDir, 'demo', 'index.html');
  router.get('/demo', (req, res, next) => {
    // Its relative URLs resolve against /demo/, so the bare path redirects there.
    if (!req.path.endsWith('/')) return res.redirect(301, '/demo/');
    if (!existsSync(demo)) return next();
    revalidate(res);
    res.sendFile(demo);
  });
  router.use(express.static(distDir, { index: false, maxAge: 0 }));
  router.get(/^\/(?!api\/|v1\/).*/, (_req, res) => {
    revalidate(res);
    res.sendFile(index);
  });
  return router;
}
