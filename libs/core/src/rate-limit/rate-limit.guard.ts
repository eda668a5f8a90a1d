import { applyDecorators, Injectable, Logger, UseGuards } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { SkipThrottle, ThrottlerGuard, ThrottlerLimitDetail, ThrottlerRequest } from '@nestjs/throttler';
import type { ExecutionContext } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DomainError } from '../errors';
import { ProblemDetails } from '../errors/problem-details';

/** The two budgets of a client address (RATE_LIMIT_*_PER_MINUTE). */
export const RATE_LIMITS = ['create', 'lookup'] as const;
export type RateLimitName = (typeof RATE_LIMITS)[number];

export class RateLimitedError extends DomainError {
  readonly code = 'REQUEST.RATE_LIMITED';
  readonly kind = 'rate_limited' as const;
  constructor(retryAfterSeconds: number) {
    super(`Too many requests from this address; try again in ${retryAfterSeconds} s.`, { retryAfterSeconds });
  }
}

/**
 * @nestjs/throttler, per client address (`req.ip`, so behind a proxy set TRUST_PROXY), with
 * three changes: one budget per limit name shared by every route that uses it (the three
 * lookups draw on one budget, so alternating between them does not multiply it); a 429
 * problem+json with a plain `Retry-After`; and if the shared store (Redis) fails, the request
 * goes through — a rate limiter must not take the API down with it.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly log = new Logger('RateLimit');

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    try {
      return await super.handleRequest(request);
    } catch (error) {
      if (error instanceof RateLimitedError) throw error;
      this.log.warn({ msg: 'rate limit store failed; request let through', err: error });
      return true;
    }
  }

  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    return createHash('sha256').update(`${name}:${tracker}`).digest('hex');
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new RateLimitedError(Math.max(1, detail.timeToBlockExpire));
  }
}

/** Draws the route's requests from the client address's `name` budget (429 beyond it). */
export function RateLimit(name: RateLimitName): ClassDecorator & MethodDecorator {
  const others = Object.fromEntries(RATE_LIMITS.filter((other) => other !== name).map((other) => [other, true]));
  return applyDecorators(
    UseGuards(RateLimitGuard),
    SkipThrottle(others),
    ApiTooManyRequestsResponse({ type: ProblemDetails, description: `Too many requests from this address (${name} limit); see Retry-After.` }),
  );
}
