import type { CaptureMethod } from '@app/reservations';

/** Outbox event types of the payment flow. */
export const CREATE_PAYMENT_INTENT = 'CREATE_PAYMENT_INTENT';
export const CANCEL_PAYMENT_INTENT = 'CANCEL_PAYMENT_INTENT';
/** Handled by the supplier-booking slice; parked in the outbox until that slice is deployed. */
export const BOOK_WITH_SUPPLIER = 'BOOK_WITH_SUPPLIER';
/**
 * Stripe moved a reservation's money outside our own calls: a refund made in the Dashboard
 * made it REFUNDED, or its hold expired (or was cancelled there) and it is RELEASED. Handled by
 * the supplier-booking slice, which follows up as after its own refund or release.
 */
export const PAYMENT_CHANGED_AT_STRIPE = 'PAYMENT_CHANGED_AT_STRIPE';

export interface PaymentEventPayload {
  reservationCode: string;
  paymentIntentId?: string;
  /** CANCEL_PAYMENT_INTENT: `manual` when the intent may hold the money (absent: charged at once). */
  captureMethod?: CaptureMethod;
}
