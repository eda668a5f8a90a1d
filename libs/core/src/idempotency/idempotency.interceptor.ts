import {
  applyDecorators,
  CallHandler,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiHeader } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { defer, from, Observable, of } from 'rxjs';
import { catchError, mergeMap } from 'rxjs/operators';
import { DomainError } from '../errors';
import { IdempotencyClaim } from './idempotency-claim';
import { IdempotencyKeyTakenError, IdempotentRequestInFlightError } from './idempotency.errors';
import { StoredResponse } from './idempotency.repository';
import { Resolution, IdempotencyService } from './idempotency.service';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
const OPTIONS = 'idempotent:options';
/** Where the interceptor leaves the request's claim for the route. */
const CLAIM = Symbol('idempotency-claim');
type WithClaim = Request & { [CLAIM]?: IdempotencyClaim };

export interface IdempotentOptions {
  /**
   * The route claims the key itself, inside its first transaction, and stores its answer inside
   * its last: it gets the claim through `@IdempotencyKeyClaim()` and must call `claim` before
   * the work it commits (ADR 0013).
   */
  claimedByRoute?: boolean;
}

/** Response headers worth replaying; the rest (dates, request ids) belong to each response. */
const REPLAYED_HEADERS = ['location', 'content-type'];

/**
 * Makes a route idempotent on the `Idempotency-Key` header: the route runs for the first request
 * with a key; a repeat gets the stored response back (422 with another body, 409 while the
 * first still runs). A request that fails lets go of its key, so that a retry runs anew.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<WithClaim>();
    const response = context.switchToHttp().getResponse<Response>();
    const options = this.reflector.getAllAndOverride<IdempotentOptions | undefined>(OPTIONS, [context.getHandler(), context.getClass()]) ?? {};
    const scope = `${request.method} ${request.route?.path ?? request.path}`;

    return defer(() => {
      const claim = this.idempotency.claimFor(scope, request.header(IDEMPOTENCY_HEADER), request.body);
      request[CLAIM] = claim;
      let rerun = false;
      const run = (): Observable<unknown> =>
        defer(async () => {
          if (!options.claimedByRoute) await claim.claim();
        }).pipe(
          mergeMap(() => next.handle()),
          mergeMap(async (body: unknown) => {
            await claim.settle({ status: response.statusCode, headers: pickHeaders(response), body });
            return body;
          }),
          catchError((error: unknown) =>
            from(this.afterFailure(error, claim)).pipe(
              mergeMap((resolution) => {
                if (resolution.kind === 'replay') return of(replay(response, resolution.response));
                // Took over the key of a request that died: run once more, holding it.
                if (rerun) throw new IdempotentRequestInFlightError();
                rerun = true;
                return run();
              }),
            ),
          ),
        );
      return run();
    });
  }

  /** A failed request: its error, unless the key is another request's (replay, 409, 422, or a takeover). */
  private async afterFailure(error: unknown, claim: IdempotencyClaim): Promise<Exclude<Resolution, { kind: 'absent' }>> {
    const taken = error instanceof IdempotencyKeyTakenError;
    // It failed after its key's row was committed: let go of the key, so that a retry runs anew.
    if (!taken && (await claim.releaseIfHeld())) throw error;
    // Nothing of it is written; the key may be another request's (a retry failing a check it once passed).
    let resolution: Resolution;
    try {
      resolution = await this.idempotency.resolve(claim);
    } catch (resolveError) {
      // The key's own answers (422, 409) stand; a look-up the database failed too leaves the request its error.
      throw taken || resolveError instanceof DomainError ? resolveError : error;
    }
    if (resolution.kind !== 'absent') return resolution;
    // Taken, then gone: the first request failed and let go of it; the client may retry.
    if (taken) throw new IdempotentRequestInFlightError();
    throw error;
  }
}

function replay(response: Response, stored: StoredResponse): unknown {
  response.status(stored.status);
  for (const [name, value] of Object.entries(stored.headers)) response.setHeader(name, value);
  response.setHeader('Idempotent-Replayed', 'true');
  return stored.body;
}

function pickHeaders(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = response.getHeader(name);
    if (value !== undefined) headers[name] = String(value);
  }
  return headers;
}

/** The claim of the request's key, for a route marked `@Idempotent({ claimedByRoute: true })`. */
export const IdempotencyKeyClaim = createParamDecorator(
  (_data: unknown, context: ExecutionContext): IdempotencyClaim | null => context.switchToHttp().getRequest<WithClaim>()[CLAIM] ?? null,
);

/**
 * The fingerprint of the request an `@Idempotent()` route is running for: what it stores with
 * what it creates, so that a key reused once its row is gone never finds another request's work.
 */
export const IdempotencyFingerprint = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | null => context.switchToHttp().getRequest<WithClaim>()[CLAIM]?.requestHash ?? null,
);

/** Marks a route as idempotent and documents the header in OpenAPI. */
export function Idempotent(options: IdempotentOptions = {}): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(OPTIONS, options),
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
