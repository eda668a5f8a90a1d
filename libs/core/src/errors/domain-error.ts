/**
 * What kind of failure an error is; the problem+json filter maps each kind to one HTTP status
 * through an explicit table, so handlers never speak HTTP.
 */
export type ErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'not_found'
  | 'conflict'
  | 'rule_violation'
  | 'unavailable'
  | 'upstream_failed'
  | 'rate_limited';

export interface FieldError {
  /** Dotted path of the offending request field, for example `pickup.office_code`. */
  field: string;
  /** Stable machine code, for example `RESERVATION.OFFICE_NOT_OF_SUPPLIER`. */
  code: string;
  message: string;
}

/** Base of every expected error: a stable `code` clients can branch on, and a human message. */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly kind: ErrorKind;
  /** The request field at fault, when there is one. */
  readonly field?: string;
  /** Seconds after which retrying may succeed (sent as `Retry-After`). */
  readonly retryAfterSeconds?: number;

  constructor(message: string, options: { field?: string; retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.field = options.field;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** The field errors this error stands for; one for a single-field rule. */
  fieldErrors(): FieldError[] {
    return this.field ? [{ field: this.field, code: this.code, message: this.message }] : [];
  }
}

/** A well-formed request that breaks a rule of the product: 422. */
export abstract class RuleViolationError extends DomainError {
  readonly kind = 'rule_violation' as const;
}

export abstract class NotFoundError extends DomainError {
  readonly kind = 'not_found' as const;
}

export abstract class ConflictError extends DomainError {
  readonly kind = 'conflict' as const;
}

export abstract class BadRequestError extends DomainError {
  readonly kind = 'bad_request' as const;
}

export abstract class UnavailableError extends DomainError {
  readonly kind = 'unavailable' as const;
}

/** A provider we depend on (Stripe, a supplier) refused or failed what we asked: 502. */
export abstract class UpstreamFailedError extends DomainError {
  readonly kind = 'upstream_failed' as const;
}

/** Several field rules broken at once (request validation). */
export class RequestValidationError extends RuleViolationError {
  readonly code = 'REQUEST.VALIDATION_FAILED';

  constructor(private readonly errors: FieldError[]) {
    super(`The request has ${errors.length} invalid field${errors.length === 1 ? '' : 's'}.`);
  }

  override fieldErrors(): FieldError[] {
    return this.errors;
  }
}

export class MalformedRequestError extends BadRequestError {
  readonly code = 'REQUEST.MALFORMED';
}

/** JSON nested deeper than any request of ours needs; refused before anything walks it. */
export class RequestTooDeepError extends BadRequestError {
  readonly code = 'REQUEST.TOO_DEEP';

  constructor(maxDepth: number) {
    super(`The request body is nested more than ${maxDepth} levels deep.`);
  }
}

export type RefusedValueCode = 'REQUEST.VALUE_TOO_LONG' | 'REQUEST.VALUE_OUT_OF_RANGE' | 'REQUEST.VALUE_NOT_STORABLE';

const REFUSED_VALUE_DETAILS: Record<RefusedValueCode, string> = {
  'REQUEST.VALUE_TOO_LONG': 'A value in the request is too long to be stored.',
  'REQUEST.VALUE_OUT_OF_RANGE': 'A value in the request is out of the range that can be stored.',
  'REQUEST.VALUE_NOT_STORABLE': 'A value in the request cannot be stored as given.',
};

/**
 * The database refused a value (too long, out of range, not of the column's type). Validation
 * should have caught it first; this keeps a gap in validation a 422, never a 500 or SQL text.
 */
export class DatabaseRefusedValueError extends RuleViolationError {
  constructor(
    readonly code: RefusedValueCode,
    cause?: unknown,
  ) {
    super(REFUSED_VALUE_DETAILS[code], { cause });
  }
}

export class DatabaseUnavailableError extends UnavailableError {
  readonly code = 'SERVICE.DATABASE_UNAVAILABLE';

  constructor(cause?: unknown) {
    super('The database is not answering; please retry shortly.', { retryAfterSeconds: 5, cause });
  }
}
