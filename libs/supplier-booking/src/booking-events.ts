/** Outbox event types of supplier booking (BOOK_WITH_SUPPLIER comes from payments). */
export const RETRY_SUPPLIER_BOOKING = 'RETRY_SUPPLIER_BOOKING';
/** Raised when a reservation reaches CONFIRMED_INTERNAL or SUPPLIER_CONFIRMED; receipts handle it. */
export const ISSUE_RECEIPT = 'ISSUE_RECEIPT';

export interface BookingEventPayload {
  reservationCode: string;
  /** For retries: the run count when it was scheduled; a newer run makes it stale. */
  afterAttempt?: number;
}
