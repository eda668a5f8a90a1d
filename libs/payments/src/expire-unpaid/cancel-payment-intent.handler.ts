import { Injectable } from '@nestjs/common';
import { ApplyPaymentOutcomeHandler } from '../apply-payment-outcome/apply-payment-outcome.handler';
import { PaymentGateway, PaymentIntentStatus } from '../payment-gateway';

export interface CancelPaymentIntent {
  reservationCode: string;
  paymentIntentId: string;
  idempotencyKey: string;
  /** A manual-capture intent: it may hold the money, which is read before anything is cancelled. */
  mayHoldMoney?: boolean;
}

/**
 * Cancels the PaymentIntent of an expired reservation and applies what Stripe answers: an
 * intent cancelled is recorded (nothing can be paid on it any more), one that had succeeded is
 * that success (EXPIRED → PAID), and one holding the money (manual capture) is that hold
 * (EXPIRED → AUTHORIZED), never cancelled. Stripe refuses to cancel a `processing` payment: that one is
 * left to the reconciliation, which reads it until it ends. Used by CANCEL_PAYMENT_INTENT and
 * the reconciliation.
 */
@Injectable()
export class CancelPaymentIntentHandler {
  constructor(
    private readonly gateway: PaymentGateway,
    private readonly applyOutcome: ApplyPaymentOutcomeHandler,
  ) {}

  /** The intent's status after the attempt. */
  async execute(input: CancelPaymentIntent): Promise<PaymentIntentStatus> {
    // A hold placed whose webhook we missed is that payment, not something to cancel: a cancel
    // would give the customer's hold back (Stripe cancels `requires_capture`). The hold wins.
    const before = input.mayHoldMoney ? await this.gateway.retrievePaymentIntent(input.paymentIntentId, { charge: true }) : null;
    if (before?.status === 'requires_capture') {
      await this.applyOutcome.execute({
        reservationCode: input.reservationCode,
        paymentIntentId: input.paymentIntentId,
        captureMethod: before.captureMethod,
        outcome: { kind: 'authorized', captureBefore: before.captureBefore },
        cause: 'payment intent was held when it was to be cancelled',
      });
      return before.status;
    }
    const intent = await this.gateway.cancelPaymentIntent(input.paymentIntentId, input.idempotencyKey);
    if (intent.status === 'succeeded' || intent.status === 'canceled') {
      await this.applyOutcome.execute({
        reservationCode: input.reservationCode,
        paymentIntentId: input.paymentIntentId,
        outcome: { kind: intent.status },
        cause: intent.status === 'succeeded' ? 'payment intent had succeeded when cancelled' : 'payment intent cancelled',
      });
    }
    return intent.status;
  }
}
