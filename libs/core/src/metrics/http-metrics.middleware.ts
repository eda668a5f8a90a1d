import type { NextFunction, Request, Response } from 'express';
import { Metrics } from './metrics';

/**
 * Times every request until its response is sent. The route label is the matched pattern
 * (`/api/v1/reservations/:code`), or `unmatched` for a 404 of the router: the raw path would
 * put reservation codes in the metrics and give them unbounded cardinality.
 */
export function httpMetricsMiddleware(metrics: Metrics) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const stop = metrics.httpDuration.startTimer();
    response.once('finish', () => {
      const pattern = (request.route as { path?: string } | undefined)?.path;
      const route = pattern ? `${request.baseUrl}${pattern}` : 'unmatched';
      stop({ method: request.method, route, status_code: String(response.statusCode) });
    });
    next();
  };
}
