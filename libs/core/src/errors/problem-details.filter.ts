import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DatabaseRefusedValueError, DatabaseUnavailableError, DomainError, ErrorKind, FieldError } from './domain-error';
import { isDatabaseUnavailable, refusedValue } from './database-errors';
import { PROBLEM_CONTENT_TYPE, ProblemDetails } from './problem-details';

/** The one place where an error kind becomes an HTTP status. */
const STATUS_BY_KIND: Record<ErrorKind, number> = {
  bad_request: HttpStatus.BAD_REQUEST,
  unauthorized: HttpStatus.UNAUTHORIZED,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  rule_violation: HttpStatus.UNPROCESSABLE_ENTITY,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  upstream_failed: HttpStatus.BAD_GATEWAY,
  rate_limited: HttpStatus.TOO_MANY_REQUESTS,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Codes for errors raised by the framework or by Express middleware (body parser). */
const CODES_BY_STATUS: Record<number, string> = {
  400: 'REQUEST.MALFORMED',
  401: 'AUTH.UNAUTHORIZED',
  403: 'AUTH.FORBIDDEN',
  404: 'ROUTE.NOT_FOUND',
  405: 'ROUTE.METHOD_NOT_ALLOWED',
  413: 'REQUEST.TOO_LARGE',
  415: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  429: 'REQUEST.RATE_LIMITED',
  503: 'SERVICE.NOT_READY',
};

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: FieldError[];
  retryAfterSeconds?: number;
}

/**
 * Turns every error into RFC 9457 problem+json. Expected errors keep their message; anything
 * unknown is logged with the request id and answered as a bare 500, never with a stack or SQL.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const problem = this.toProblem(error, request);

    if (response.headersSent) {
      response.end();
      return;
    }
    const body: ProblemDetails = {
      type: problem.status === 500 ? 'about:blank' : `urn:problem:${problem.code}`,
      title: TITLES[problem.status] ?? 'Error',
      status: problem.status,
      detail: problem.detail,
      instance: request.originalUrl?.split('?')[0] ?? request.url,
      code: problem.code,
      request_id: requestIdOf(request),
      ...(problem.errors && problem.errors.length > 0 ? { errors: problem.errors } : {}),
    };
    if (problem.status === 401) response.setHeader('WWW-Authenticate', 'Bearer');
    if (problem.retryAfterSeconds !== undefined) {
      response.setHeader('Retry-After', String(problem.retryAfterSeconds));
    }
    response.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
  }

  private toProblem(error: unknown, request: Request): Problem {
    if (error instanceof DomainError) {
      return {
        status: STATUS_BY_KIND[error.kind],
        code: error.code,
        detail: error.message,
        errors: error.fieldErrors(),
        retryAfterSeconds: error.retryAfterSeconds,
      };
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      if (status < 500 || status === 503) {
        return {
          status,
          code: CODES_BY_STATUS[status] ?? 'REQUEST.REJECTED',
          detail: httpExceptionDetail(error, status),
          retryAfterSeconds: status === 429 ? retryAfterOf(error) : status === 503 ? 5 : undefined,
        };
      }
    }
    const bodyParserStatus = bodyParserErrorStatus(error);
    if (bodyParserStatus) {
      return {
        status: bodyParserStatus,
        code: CODES_BY_STATUS[bodyParserStatus] ?? 'REQUEST.MALFORMED',
        detail:
          bodyParserStatus === 413
            ? 'The request body is larger than this endpoint accepts.'
            : 'The request body is not valid JSON.',
      };
    }
    const refused = refusedValue(error);
    if (refused) {
      // A gap in request validation: a 422 for the client, an error for us to close the gap.
      // Logged without the SQL or its parameters, which carry the request's (personal) data.
      const problem = new DatabaseRefusedValueError(refused.code, error);
      this.logger.error({
        msg: 'the database refused a value validation let through',
        driverCode: refused.driverCode,
        column: refused.column,
        requestId: requestIdOf(request),
      });
      return { status: STATUS_BY_KIND[problem.kind], code: problem.code, detail: problem.message };
    }
    if (isDatabaseUnavailable(error)) {
      const unavailable = new DatabaseUnavailableError(error);
      this.logger.warn({ msg: 'database unavailable', err: error, requestId: requestIdOf(request) });
      return {
        status: 503,
        code: unavailable.code,
        detail: unavailable.message,
        retryAfterSeconds: unavailable.retryAfterSeconds,
      };
    }
    this.logger.error({ msg: 'unhandled error', err: error, requestId: requestIdOf(request) });
    return { status: 500, code: 'SERVER.INTERNAL_ERROR', detail: 'An unexpected error occurred.' };
  }
}

function requestIdOf(request: Request): string | undefined {
  const id = (request as Request & { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}

function httpExceptionDetail(error: HttpException, status: number): string {
  if (status === 404) return 'No such resource.';
  if (status === 503) return describeHealth(error.getResponse()) ?? 'The service is not ready.';
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return error.message;
}

/** Terminus answers `{ error: { database: { status: 'down' } } }`: name what is down, nothing more. */
function describeHealth(response: unknown): string | undefined {
  const failing = (response as { error?: Record<string, unknown> } | undefined)?.error;
  if (!failing || typeof failing !== 'object') return undefined;
  return `Not ready: ${Object.keys(failing).join(', ')} down.`;
}

function retryAfterOf(error: HttpException): number {
  const response = error.getResponse() as { retryAfter?: unknown };
  return typeof response.retryAfter === 'number' ? response.retryAfter : 1;
}

/** body-parser raises plain errors carrying `type` and `status`. */
function bodyParserErrorStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { type, status } = error as { type?: unknown; status?: unknown };
  if (typeof type !== 'string' || typeof status !== 'number') return undefined;
  if (type === 'entity.too.large') return 413;
  if (type === 'entity.parse.failed' || type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return type === 'entity.parse.failed' ? 400 : 415;
  }
  return status >= 400 && status < 500 ? status : undefined;
}
