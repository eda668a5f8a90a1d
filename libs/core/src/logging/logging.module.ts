import { Module, RequestMethod } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { Options } from 'pino-http';
import { loggingConfig, LoggingConfig } from '../config';

export const REQUEST_ID_HEADER = 'x-request-id';
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Personal data and secrets never reach the logs, wherever they appear in a logged object. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  ...['email', 'phone', 'first_name', 'last_name', 'firstName', 'lastName', 'customer', 'password', 'secret'].flatMap(
    (field) => [field, `*.${field}`, `*.*.${field}`],
  ),
];

/** Takes the caller's `X-Request-Id` when it is sane, otherwise makes one; echoed on the response. */
export function requestIdFor(request: IncomingMessage, response: ServerResponse): string {
  const assigned = (request as IncomingMessage & { id?: unknown }).id;
  if (typeof assigned === 'string') return assigned;
  const offered = request.headers[REQUEST_ID_HEADER];
  const id = typeof offered === 'string' && VALID_REQUEST_ID.test(offered) ? offered : randomUUID();
  response.setHeader('X-Request-Id', id);
  (request as IncomingMessage & { id?: string }).id = id;
  return id;
}

/** pino-http options: JSON lines, request ids, personal data redacted, query strings dropped. */
export function pinoHttpOptions(level: string): Options {
  return {
    level,
    genReqId: requestIdFor,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Health probes and the docs page would drown the access log.
    autoLogging: { ignore: (request) => /^\/(health|docs)/.test(request.url ?? '') },
    customProps: () => ({ service: 'reservations-api' }),
    serializers: {
      req: (request: { id: string; method: string; url: string }) => ({
        id: request.id,
        method: request.method,
        // Query strings carry e-mails (`?email=`): log the path only.
        url: request.url?.split('?')[0],
      }),
    },
  };
}

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [loggingConfig.KEY],
      // `{*path}`: Express 5's spelling of "every route" (nestjs-pino's default `*` draws a warning).
      useFactory: (config: LoggingConfig) => ({ pinoHttp: pinoHttpOptions(config.level), forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }] }),
    }),
  ],
})
export class LoggingModule {}
