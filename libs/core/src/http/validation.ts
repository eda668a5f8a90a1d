import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, RequestValidationError } from '../errors';
import { silentlyDroppedKeyPaths } from './request-shape';

/**
 * Codes for class-validator's own constraints. A DTO decorator may name a sharper code with
 * `{ context: { code: 'CUSTOMER.EMAIL_INVALID' } }`; that one wins.
 */
const CODE_BY_CONSTRAINT: Record<string, string> = {
  whitelistValidation: 'REQUEST.UNKNOWN_FIELD',
  isDefined: 'REQUEST.FIELD_REQUIRED',
  nestedValidation: 'REQUEST.OBJECT_EXPECTED',
  isObject: 'REQUEST.OBJECT_EXPECTED',
};

export function toFieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) => ({
      field,
      code: codeOf(error, constraint),
      message,
    }));
    return [...own, ...toFieldErrors(error.children ?? [], field)];
  });
}

function codeOf(error: ValidationError, constraint: string): string {
  const context = error.contexts?.[constraint] as { code?: string } | undefined;
  return context?.code ?? CODE_BY_CONSTRAINT[constraint] ?? 'REQUEST.INVALID_FIELD';
}

/**
 * class-transformer drops `__proto__` and `constructor` keys before whitelist validation sees
 * them, so they would be ignored where every other unknown field is refused: refuse them first.
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom' && this.toValidate(metadata)) {
      const dropped = silentlyDroppedKeyPaths(value);
      if (dropped.length > 0) {
        throw new RequestValidationError(
          dropped.map((field) => ({ field, code: 'REQUEST.UNKNOWN_FIELD', message: `property ${field.split('.').pop()} should not exist` })),
        );
      }
    }
    return super.transform(value, metadata);
  }
}

/** Strict DTO validation: unknown fields are refused, every error carries a field and a code. */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new RequestValidationError(toFieldErrors(errors)),
  });
}
