/**
 * The route template of a request (`/api/v1/chat`, never the raw path), shared by the RED
 * metrics (http.ts) and the HTTP server span (instrumentation.ts). It imports nothing, so the
 * telemetry bootstrap can use it before express is loaded; the shapes below are the parts of
 * express's req/res it reads.
 */
export interface RoutedRequest {
  /** Set by express's router on the route that matched. */
  route?: { path?: unknown };
  baseUrl?: string;
}
export interface RoutedResponse {
  statusCode: number;
  /** express's res.locals; `httpRoute` is set by routes express cannot see (proxies). */
  locals?: { httpRoute?: string };
}

/** The template of the route that handled the request, or undefined if none matched. */
export function httpRoute(req: RoutedRequest, res: RoutedResponse): string | undefined {
  const explicit = res.locals?.httpRoute;
  if (explicit) return explicit;
  const routePath = req.route?.path;
  return typeof routePath === 'string' ? `${req.baseUrl ?? ''}${routePath}` : undefined;
}

/** A bounded metric label: the route template, `unmatched` for a 404 without one, `other` otherwise. */
export function routeLabel(req: RoutedRequest, res: RoutedResponse): string {
  return httpRoute(req, res) ?? (res.statusCode === 404 ? 'unmatched' : 'other');
}
