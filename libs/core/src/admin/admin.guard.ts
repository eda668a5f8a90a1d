import { applyDecorators, CanActivate, createParamDecorator, ExecutionContext, Inject, Injectable, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiNotFoundResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { adminConfig, AdminConfig } from '../config';
import { NotFoundError, DomainError } from '../errors';
import { BearerToken } from './bearer-token';

export class AdminUnauthorizedError extends DomainError {
  readonly code = 'AUTH.UNAUTHORIZED';
  readonly kind = 'unauthorized' as const;
  constructor() {
    super('This operation needs `Authorization: Bearer <ADMIN_API_TOKEN>`.');
  }
}

export class AdminDisabledError extends NotFoundError {
  readonly code = 'ROUTE.NOT_FOUND';
  constructor() {
    super('No such resource.');
  }
}

/** Who did an operator action, for the status history and the logs: never the token itself. */
export const ADMIN_ACTOR = 'admin';

/**
 * Operators' routes: `Authorization: Bearer $ADMIN_API_TOKEN`, compared in constant time.
 * With no token configured the routes do not exist (404).
 */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly token?: BearerToken;

  constructor(@Inject(adminConfig.KEY) config: AdminConfig) {
    this.token = config.token ? new BearerToken(config.token) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.token) throw new AdminDisabledError();
    if (!this.token.matches(context.switchToHttp().getRequest<Request>().header('authorization'))) throw new AdminUnauthorizedError();
    return true;
  }
}

const OPERATOR_NAME = /^[A-Za-z0-9._@-]{1,64}$/;

/**
 * Who asked, for the status history: `admin:<X-Operator>` when the operator names
 * themselves (one shared token cannot tell people apart), `admin` otherwise. A malformed
 * name is ignored rather than stored.
 */
export const OperatorActor = createParamDecorator((_data: unknown, context: ExecutionContext): string =>
  operatorActorOf(context.switchToHttp().getRequest<Request>()),
);

export function operatorActorOf(request: Request): string {
  const name = request.header('x-operator')?.trim();
  return name && OPERATOR_NAME.test(name) ? `${ADMIN_ACTOR}:${name}` : ADMIN_ACTOR;
}

/** Marks a controller or route as an operators' one. */
export function AdminOnly(): ClassDecorator & MethodDecorator {
  return applyDecorators(
    UseGuards(AdminGuard),
    ApiBearerAuth(),
    ApiHeader({ name: 'X-Operator', required: false, description: 'Who is acting, kept in the status history (letters, digits, ._@-)' }),
    ApiUnauthorizedResponse({ description: 'Missing or wrong bearer token.' }),
    ApiNotFoundResponse({ description: 'Admin routes are off (ADMIN_API_TOKEN unset).' }),
  );
}
