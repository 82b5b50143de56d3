import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router, type Response } from 'express';
import { NotFoundError, ServiceUnavailableError } from '@parley/platform';

/** Pages and the widget keep their names across builds, so browsers revalidate them on every load. */
function revalidate(res: Response): void {
  res.setHeader('Cache-Control', 'no-cache');
}

/** For the widget's scripts, which any site may load (cross-origin module scripts need CORS). */
function shareWithOtherSites(res: Response): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
}

/**
 * The built Vue UI at `/`: hashed assets cached for a year, index.html never cached,
 * and index.html for any other GET outside the API so client-side routes survive a reload.
 * Also the embeddable widget at `/widget.js` (its chunks under `/widget/`) and the demo host
 * page that embeds it at `/demo/`.
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
  // The widget: other sites load the entry with <script type="module" src=".../widget.js">,
  // and it imports its chunks from /widget/ on this origin. Module scripts are fetched in CORS
  // mode, so both need Access-Control-Allow-Origin (public files, no credentials: `*`), and
  // helmet's default Cross-Origin-Resource-Policy (same-origin) would make browsers refuse them.
  // The entry keeps its name across builds (revalidated on every load); chunks are hashed.
  router.get('/widget.js', (_req, res, next) => {
    if (!existsSync(join(distDir, 'widget.js'))) throw new NotFoundError('The widget is not built; run `npm run build`.');
    shareWithOtherSites(res);
    revalidate(res);
    next();
  });
  router.use(
    '/widget',
    (_req, res, next) => {
      shareWithOtherSites(res);
      next();
    },
    // A missing chunk is a 404, never the app's index.html served as JavaScript.
    express.static(join(distDir, 'widget'), { immutable: true, maxAge: '365d', fallthrough: false, index: false }),
  );
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
