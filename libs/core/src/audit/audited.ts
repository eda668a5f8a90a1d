import { applyDecorators, CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata, UseInterceptors } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
import { operatorActorOf } from '../admin/admin.guard';
import { DomainError } from '../errors';
import { AuditLog } from './audit-log';

const AUDITED = 'audited';

interface AuditSpec {
  action: string;
  /** Who reads: the customer (code and e-mail given) or an operator (admin token). */
  by: 'customer' | 'operator';
  /** The route parameter naming the resource, if any. */
  resource?: string;
}

/**
 * Writes an audit entry for each call of this route once it has its outcome, before the
 * answer leaves: no personal data is disclosed without its entry (if the entry cannot be
 * written, the request fails). Failures are recorded with their error code.
 */
export function Audited(action: string, options: Omit<AuditSpec, 'action'>): MethodDecorator {
  return applyDecorators(SetMetadata(AUDITED, { action, ...options }), UseInterceptors(AuditInterceptor));
}

@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditLog,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const spec = this.reflector.get<AuditSpec | undefined>(AUDITED, context.getHandler());
    if (!spec) return next.handle();
    const request = context.switchToHttp().getRequest<Request & { id?: string }>();
    const write = (outcome: string) =>
      this.audit.record({
        actor: spec.by === 'operator' ? operatorActorOf(request) : 'customer',
        action: spec.action,
        resourceId: spec.resource ? String(request.params[spec.resource] ?? '').toUpperCase() || null : null,
        outcome,
        clientIp: request.ip ?? null,
        requestId: request.id ?? null,
      });
    return next.handle().pipe(
      mergeMap(async (value: unknown) => {
        await write('ok');
        return value;
      }),
      catchError((error: unknown) =>
        from(write(error instanceof DomainError ? error.code : 'error').catch(() => undefined)).pipe(mergeMap(() => throwError(() => error))),
      ),
    );
  }
}
