import {
  applyDecorators,
  CallHandler,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { from, Observable, of } from 'rxjs';
import { catchError, mergeMap } from 'rxjs/operators';
import { IdempotencyService } from './idempotency.service';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Where the interceptor leaves the admitted request's fingerprint for the route. */
const FINGERPRINT = Symbol('idempotency-fingerprint');
type WithFingerprint = Request & { [FINGERPRINT]?: string };

/** Response headers worth replaying; the rest (dates, request ids) belong to each response. */
const REPLAYED_HEADERS = ['location', 'content-type'];

/**
 * Makes a route idempotent on the `Idempotency-Key` header: guards, validation and the handler
 * run only for the first request with a key; a repeat gets the stored response back.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly idempotency: IdempotencyService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    const scope = `${request.method} ${request.route?.path ?? request.path}`;
    const key = request.header(IDEMPOTENCY_HEADER);

    return from(this.idempotency.admit(scope, key, request.body)).pipe(
      mergeMap((admission) => {
        if (admission.kind === 'replay') {
          response.status(admission.response.status);
          for (const [name, value] of Object.entries(admission.response.headers)) response.setHeader(name, value);
          response.setHeader('Idempotent-Replayed', 'true');
          return of(admission.response.body);
        }
        (request as WithFingerprint)[FINGERPRINT] = admission.requestHash;
        return next.handle().pipe(
          mergeMap(async (body: unknown) => {
            await this.idempotency.complete(admission.id, {
              status: response.statusCode,
              headers: pickHeaders(response),
              body,
            });
            return body;
          }),
          catchError(async (error: unknown) => {
            await this.idempotency.release(admission.id);
            throw error;
          }),
        );
      }),
    );
  }
}

function pickHeaders(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = response.getHeader(name);
    if (value !== undefined) headers[name] = String(value);
  }
  return headers;
}

/**
 * The fingerprint of the request an `@Idempotent()` route is running for: what it stores with
 * what it creates, so that a key reused once its row is gone never finds another request's work.
 */
export const IdempotencyFingerprint = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | null => context.switchToHttp().getRequest<WithFingerprint>()[FINGERPRINT] ?? null,
);

/** Marks a route as idempotent and documents the header in OpenAPI. */
export function Idempotent(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiHeader({
      name: IDEMPOTENCY_HEADER,
      required: true,
      description:
        'A unique key per logical request (8–255 visible ASCII characters, a UUID is ideal). ' +
        'Retrying with the same key and body replays the first response with `Idempotent-Replayed: true`; ' +
        'the same key with another body is a 422; a retry while the first is still running is a 409. Keys are kept 24 h.',
      schema: { type: 'string', minLength: 8, maxLength: 255, example: 'c0a8012e-7f4b-4d8e-9d1a-6b3e2f1a9c55' },
    }),
    UseInterceptors(IdempotencyInterceptor),
  );
}
