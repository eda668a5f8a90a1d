import { CaptureMethod, PaymentOutcome } from '@app/reservations';

export type PaymentIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'canceled'
  | 'succeeded';

/** What we keep of a PaymentIntent. */
export interface PaymentIntentSnapshot {
  id: string;
  status: PaymentIntentStatus;
  clientSecret: string | null;
  amount: number;
  currency: string;
  reservationCode: string | null;
  /** The decline message of the last failed attempt, if any. */
  failureMessage: string | null;
  captureMethod: CaptureMethod;
  /** Stripe's deadline for capturing a hold, when its charge was read (`retrievePaymentIntent` with the charge). */
  captureBefore: Date | null;
}

export interface CreatePaymentIntent {
  reservationCode: string;
  amount: number;
  /** ISO 4217, any case. */
  currency: string;
  /** Same key, same intent: a retry never makes a second one. */
  idempotencyKey: string;
  /** `manual`: the money is held until `capturePaymentIntent` (PAYMENT_CAPTURE=after_supplier_confirmation). */
  captureMethod: CaptureMethod;
}

/** A refund as the provider reports it. */
export interface RefundSnapshot {
  id: string;
  /** Minor units actually refunded. */
  amount: number;
  status: 'pending' | 'succeeded' | 'failed' | 'canceled' | 'requires_action';
  failureReason: string | null;
}

/** The payment provider, as the product needs it. Stripe in production, the sandbox in dev and tests. */
export abstract class PaymentGateway {
  abstract createPaymentIntent(request: CreatePaymentIntent): Promise<PaymentIntentSnapshot>;
  /** With `{ charge: true }` its latest charge is read too, for the hold's `captureBefore`. */
  abstract retrievePaymentIntent(id: string, options?: { charge?: boolean }): Promise<PaymentIntentSnapshot>;
  /**
   * Captures a hold, all of it; the same key returns the same capture. An intent that cannot be
   * captured (captured already, cancelled, expired) is returned as it is, not as an error.
   */
  abstract capturePaymentIntent(id: string, idempotencyKey: string): Promise<PaymentIntentSnapshot>;
  /** Cancels; an intent that already succeeded is returned as it is, succeeded, not as an error. */
  abstract cancelPaymentIntent(id: string, idempotencyKey: string): Promise<PaymentIntentSnapshot>;
  /**
   * Refunds what was captured of the intent, never more (the provider computes the amount);
   * the same key returns the same refund.
   */
  abstract refundPaymentIntent(id: string, idempotencyKey: string): Promise<RefundSnapshot>;
  /** The intent's refunds, whatever key made them: what settles a refund once its key has expired. */
  abstract listRefunds(paymentIntentId: string): Promise<RefundSnapshot[]>;
}

/** The provider did not answer, or answered 5xx/429: try again later. */
export class PaymentGatewayUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PaymentGatewayUnavailableError';
  }
}

/** The provider refused the request itself: retrying will not help. */
export class PaymentGatewayRejectedError extends Error {
  constructor(
    message: string,
    options?: { cause?: unknown },
    /** The provider's own error code (Stripe's `charge_already_refunded`, …), when it gave one. */
    readonly providerCode: string | null = null,
  ) {
    super(message, options);
    this.name = 'PaymentGatewayRejectedError';
  }
}

/** What a PaymentIntent's state means for the reservation; null when there is nothing to apply. */
export function outcomeOf(snapshot: PaymentIntentSnapshot): PaymentOutcome | null {
  switch (snapshot.status) {
    case 'succeeded':
      return { kind: 'succeeded' };
    case 'processing':
      return { kind: 'processing' };
    case 'canceled':
      return { kind: 'canceled' };
    case 'requires_capture':
      return { kind: 'authorized', captureBefore: snapshot.captureBefore };
    case 'requires_payment_method':
      return snapshot.failureMessage ? { kind: 'failed', failureMessage: snapshot.failureMessage } : null;
    default:
      return null;
  }
}
