import { Module, RequestMethod } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { type Options, stdSerializers } from 'pino-http';
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
  ...[
    'email',
    'phone',
    'first_name',
    'last_name',
    'firstName',
    'lastName',
    'customer',
    'password',
    'secret',
  ].flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
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

/**
 * Every log line says which service wrote it: in pino's base bindings (beside pino's own `pid`
 * and `hostname`), not pino-http's `customProps`, which cost a second child logger per request
 * and a string comparison when the response finishes.
 */
const BASE = { pid: process.pid, hostname: hostname(), service: 'reservations-api' };

/**
 * pino-http options: JSON lines, request ids, personal data redacted, query strings dropped.
 *
 * `wrapSerializers: false`, with pino-http's own wrapped `res` and `err` serializers passed
 * explicitly: the same lines, but our `req` serializer reads the request itself instead of
 * pino-std-serializers' copy of it, which parses the query string and copies every header
 * into an object for each request, only for the three fields we keep to be picked from it.
 */
export function pinoHttpOptions(level: string): Options {
  return {
    level,
    genReqId: requestIdFor,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Health probes and the docs page would drown the access log.
    autoLogging: { ignore: (request) => /^\/(health|docs)/.test(request.url ?? '') },
    base: BASE,
    wrapSerializers: false,
    serializers: {
      req: (request: { id: string; method: string; url: string; originalUrl?: string }) => ({
        id: request.id,
        method: request.method,
        // Query strings carry e-mails (`?email=`): log the path only.
        url: (request.originalUrl || request.url)?.split('?')[0],
      }),
      // What pino-http wraps them into when it wraps: its default serializers, as they are.
      res: stdSerializers.res as (res: unknown) => unknown,
      err: stdSerializers.err as (err: unknown) => unknown,
    },
  };
}

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [loggingConfig.KEY],
      // `{*path}`: Express 5's spelling of "every route" (nestjs-pino's default `*` draws a warning).
      useFactory: (config: LoggingConfig) => ({
        pinoHttp: pinoHttpOptions(config.level),
        forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
      }),
    }),
  ],
})
export class LoggingModule {}
