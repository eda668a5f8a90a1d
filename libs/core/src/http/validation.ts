import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, RequestValidationError } from '../errors';

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

/** Strict DTO validation: unknown fields are refused, every error carries a field and a code. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new RequestValidationError(toFieldErrors(errors)),
  });
}
