import { Injectable } from '@nestjs/common';
import { ApplyPaymentOutcomeHandler } from '../apply-payment-outcome/apply-payment-outcome.handler';
import { PaymentGateway, PaymentIntentStatus } from '../payment-gateway';

export interface CancelPaymentIntent {
  reservationCode: string;
  paymentIntentId: string;
  idempotencyKey: string;
}

/**
 * Cancels the PaymentIntent of an expired reservation and applies what Stripe answers: an
 * intent cancelled is recorded (nothing can be paid on it any more), one that had succeeded is
 * that success (EXPIRED → PAID). Stripe refuses to cancel a `processing` payment: that one is
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
