/**
 * `GET /metrics` (Prometheus' text format) and the request durations it reports. A request is labelled with the
 * route pattern that answered it (`/v3/jobs/:jobId`), never its path: ids would make a series per request.
 */
import type { Express, Request, RequestHandler } from 'express';
import { Histogram, type Registry } from 'prom-client';
import type { GatewayMetrics } from '../manager/metrics';
import { gzipBody } from '../manager/metrics-segments';

/** From 1 ms to 30 s: refresh calls with `?wait=` may hold a request that long. */
const REQUEST_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The pattern of the route that answered, or `unmatched` (unknown paths, and requests refused before routing). */
function routeOf(req: Request): string {
  const path: unknown = req.route?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path}` : 'unmatched';
}

/** Times every request into `freshet_http_request_duration_seconds{route,method,status}` of `registry`. */
export function requestMetrics(registry: Registry): RequestHandler {
  const duration = new Histogram({
    name: 'freshet_http_request_duration_seconds',
    help: 'HTTP requests by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'],
    buckets: REQUEST_BUCKETS,
    registers: [registry],
  });
  return (req, res, next) => {
    const started = performance.now();
    res.once('close', () => {
      const labels = { route: routeOf(req), method: req.method, status: String(res.statusCode) };
      duration.observe(labels, (performance.now() - started) / 1000);
    });
    next();
  };
}

/**
 * `GET /metrics`; auth (the `metrics` or `admin` scope) is checked before it, as for every route. Gzipped when the
 * scraper accepts it, as Prometheus does: two megabytes of text with a thousand tables are about 100 kB so.
 */
export function addMetricsRoute(app: Express, metrics: GatewayMetrics): void {
  app.get('/metrics', async (req, res) => {
    const { contentType, segments } = await metrics.exposition();
    const gzip = req.acceptsEncodings('gzip', 'identity') === 'gzip';
    res.setHeader('content-type', contentType);
    res.setHeader('vary', 'Accept-Encoding');
    if (gzip) {
      res.setHeader('content-encoding', 'gzip');
      res.end(gzipBody(segments));
      return;
    }
    // Two megabytes uncompressed: written segment by segment rather than copied into one buffer first.
    res.setHeader(
      'content-length',
      segments.reduce((n, s) => n + s.bytes.length, 0),
    );
    res.cork();
    for (const s of segments) res.write(s.bytes);
    res.end();
  });
}
