import type { CaptureMethod } from '@app/reservations';

/** Outbox event types of the payment flow. */
export const CREATE_PAYMENT_INTENT = 'CREATE_PAYMENT_INTENT';
export const CANCEL_PAYMENT_INTENT = 'CANCEL_PAYMENT_INTENT';
/** Handled by the supplier-booking slice; parked in the outbox until that slice is deployed. */
export const BOOK_WITH_SUPPLIER = 'BOOK_WITH_SUPPLIER';

export interface PaymentEventPayload {
  reservationCode: string;
  paymentIntentId?: string;
  /** CANCEL_PAYMENT_INTENT: `manual` when the intent may hold the money (absent: charged at once). */
  captureMethod?: CaptureMethod;
}
