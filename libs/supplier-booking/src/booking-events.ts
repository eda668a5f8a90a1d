/** Outbox event types of supplier booking (BOOK_WITH_SUPPLIER comes from payments). */
export const RETRY_SUPPLIER_BOOKING = 'RETRY_SUPPLIER_BOOKING';
/** Raised when a reservation reaches CONFIRMED_INTERNAL or SUPPLIER_CONFIRMED; receipts handle it. */
export const ISSUE_RECEIPT = 'ISSUE_RECEIPT';

/**
 * A held reservation (`PAYMENT_CAPTURE=after_supplier_confirmation`) is to be captured: the
 * supplier booked it, or its hold's deadline is near (policy `capture`).
 */
export const CAPTURE_PAYMENT = 'CAPTURE_PAYMENT';
/** A hold given up (the supplier refused, or the deadline policy `release`): cancel it at Stripe. */
export const RELEASE_HOLD = 'RELEASE_HOLD';

/** An outbox event of one reservation that carries only its code (what the hold's events need). */
export function reservationEvent(type: string, reservationCode: string) {
  return { type, aggregateType: 'reservation', aggregateId: reservationCode, payload: { reservationCode } };
}

export interface BookingEventPayload {
  reservationCode: string;
  /** For retries: the run count when it was scheduled; a newer run makes it stale. */
  afterAttempt?: number;
}
/**
 * After a refund of a reservation whose booking runs may have reached the supplier (a timeout
 * after sending, a supplier that books late): looks the booking up, never books, and flags
 * one it finds.
 */
export const CHECK_SUPPLIER_AFTER_REFUND = 'CHECK_SUPPLIER_AFTER_REFUND';

/**
 * Settles a refund: the safety net of the operator's inline attempt, and what finishes a refund
 * whose answer was lost. Enqueued with the refund request.
 */
export const SETTLE_REFUND = 'SETTLE_REFUND';

export interface SettleRefundPayload {
  reservationCode: string;
  /** The operator's reason and name, for the history row that records the refund. */
  reason: string;
  actor: string;
}
