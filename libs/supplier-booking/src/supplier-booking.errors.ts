import { ConflictError, NotFoundError, UpstreamFailedError } from '@app/core';

/** Operators name a reservation by its code alone. */
export class OperatorReservationNotFoundError extends NotFoundError {
  readonly code = 'RESERVATION.NOT_FOUND';
  constructor(code: string) {
    super(`There is no reservation ${code}.`);
  }
}

/** Stripe refused or failed the refund; nothing changed on our side but the history. */
export class RefundFailedError extends UpstreamFailedError {
  readonly code = 'PAYMENT.REFUND_FAILED';
}

/** A booking run holds the reservation (the supplier may be booking it right now): refund after it ends. */
export class BookingRunInProgressError extends ConflictError {
  readonly code = 'RESERVATION.BOOKING_IN_PROGRESS';
  constructor(code: string) {
    super(`A booking run with the supplier is under way for reservation ${code}: try the refund again once it has ended.`);
  }
}
