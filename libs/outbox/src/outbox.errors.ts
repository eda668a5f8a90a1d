import { NotFoundError, ConflictError } from '@app/core';

/** Thrown by a handler when retrying cannot help: the event goes straight to DEAD. */
export class NonRetryableOutboxError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetryableOutboxError';
  }
}

/** Thrown by a handler that knows when to try again (a supplier's Retry-After, say). */
export class RetryOutboxEventLater extends Error {
  constructor(
    readonly delayMs: number,
    message: string,
  ) {
    super(message);
    this.name = 'RetryOutboxEventLater';
  }
}

/**
 * Thrown by a handler whose dependency is away (a message broker down): the event waits and is
 * tried again after `delayMs`, and the run is not counted as an attempt, so that an outage of
 * any length never makes it DEAD. The handler caps `delayMs` itself.
 */
export class DependencyUnavailableError extends RetryOutboxEventLater {
  constructor(delayMs: number, message: string) {
    super(delayMs, message);
    this.name = 'DependencyUnavailableError';
  }
}

/** Enqueuing a type nobody handles is a programming error, caught at the first enqueue. */
export class UnknownOutboxEventTypeError extends Error {
  constructor(type: string) {
    super(`No outbox handler is registered for event type ${type}.`);
    this.name = 'UnknownOutboxEventTypeError';
  }
}

export class OutboxEventNotFoundError extends NotFoundError {
  readonly code = 'OUTBOX.EVENT_NOT_FOUND';
  constructor(id: number) {
    super(`There is no outbox event ${id}.`);
  }
}

export class OutboxEventNotRequeueableError extends ConflictError {
  readonly code = 'OUTBOX.EVENT_NOT_REQUEUEABLE';
  constructor(id: number, status: string) {
    super(`Outbox event ${id} is ${status}; only DEAD events (or DONE ones, with force) can be requeued.`);
  }
}
