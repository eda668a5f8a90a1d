import { ConflictError, NotFoundError, UpstreamFailedError } from '@app/core';

/** Operators name a reservation by its code alone. */
export class OperatorReservationNotFoundError extends NotFoundError {
  readonly code = 'RESERVATION.NOT_FOUND';
  constructor(code: string) {
    super(`There is no reservation ${code}.`);
  }
}

/** The reservation is not in a state where this action applies. */
export class OperatorActionNotAllowedError extends ConflictError {
  readonly code = 'RESERVATION.ACTION_NOT_ALLOWED';
}

/** Stripe refused or failed the refund; nothing changed on our side but the history. */
export class RefundFailedError extends UpstreamFailedError {
  readonly code = 'PAYMENT.REFUND_FAILED';
}
