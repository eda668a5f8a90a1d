import { BadRequestError, ConflictError, RuleViolationError } from '../errors';

export class IdempotencyKeyMissingError extends BadRequestError {
  readonly code = 'IDEMPOTENCY.KEY_MISSING';
  constructor() {
    super('The Idempotency-Key header is required for this operation.', { field: 'Idempotency-Key' });
  }
}

export class IdempotencyKeyInvalidError extends BadRequestError {
  readonly code = 'IDEMPOTENCY.KEY_INVALID';
  constructor() {
    super('The Idempotency-Key header must be 8 to 255 visible ASCII characters.', { field: 'Idempotency-Key' });
  }
}

export class IdempotencyKeyReusedError extends RuleViolationError {
  readonly code = 'IDEMPOTENCY.KEY_REUSED';
  constructor() {
    super('This Idempotency-Key was already used with a different request body.', { field: 'Idempotency-Key' });
  }
}

export class IdempotentRequestInFlightError extends ConflictError {
  readonly code = 'IDEMPOTENCY.REQUEST_IN_FLIGHT';
  constructor() {
    super('A request with this Idempotency-Key is still being processed; retry shortly.', {
      retryAfterSeconds: 1,
    });
  }
}

/**
 * The claim of a key found it already there (another request with the key ran, or runs). The
 * interceptor answers it from the key's row (replay, 409, 422); should it escape, it is a 409.
 */
export class IdempotencyKeyTakenError extends IdempotentRequestInFlightError {}
