import { Injectable } from '@nestjs/common';
import { NonRetryableOutboxError, OutboxEventHandler, OutboxHandler, OutboxMessage } from '@app/outbox';
import { ApplyPaymentOutcomeHandler } from '../apply-payment-outcome/apply-payment-outcome.handler';
import { CANCEL_PAYMENT_INTENT, PaymentEventPayload } from '../payment-events';
import { PaymentGateway, PaymentGatewayRejectedError } from '../payment-gateway';

/** Cancels the PaymentIntent of an expired reservation; one that succeeded meanwhile is that success. */
@Injectable()
@OutboxHandler(CANCEL_PAYMENT_INTENT)
export class CancelPaymentIntentOutboxHandler implements OutboxEventHandler<PaymentEventPayload> {
  constructor(
    private readonly gateway: PaymentGateway,
    private readonly applyOutcome: ApplyPaymentOutcomeHandler,
  ) {}

  // Idempotent: cancelling twice is refused by Stripe as "already cancelled" and read back; a success applies once.
  async handle(message: OutboxMessage<PaymentEventPayload>): Promise<void> {
    const { reservationCode, paymentIntentId } = message.payload;
    if (!paymentIntentId) throw new NonRetryableOutboxError('no payment intent to cancel');
    try {
      const intent = await this.gateway.cancelPaymentIntent(paymentIntentId, `reservation-${reservationCode}-cancel`);
      if (intent.status === 'succeeded') {
        await this.applyOutcome.execute({
          reservationCode,
          paymentIntentId,
          outcome: { kind: 'succeeded' },
          cause: 'payment intent had succeeded when cancelled',
        });
      }
    } catch (error) {
      if (error instanceof PaymentGatewayRejectedError) throw new NonRetryableOutboxError(error.message, { cause: error });
      throw error;
    }
  }
}
