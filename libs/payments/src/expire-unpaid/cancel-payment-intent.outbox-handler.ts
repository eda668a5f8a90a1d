import { Injectable } from '@nestjs/common';
import { NonRetryableOutboxError, OutboxEventHandler, OutboxHandler, OutboxMessage } from '@app/outbox';
import { CANCEL_PAYMENT_INTENT, PaymentEventPayload } from '../payment-events';
import { PaymentGatewayRejectedError } from '../payment-gateway';
import { CancelPaymentIntentHandler } from './cancel-payment-intent.handler';

/** Stripe's idempotency key for the cancel that follows an expiry. */
export function cancelPaymentIntentKey(reservationCode: string): string {
  return `reservation-${reservationCode}-cancel`;
}

/**
 * Cancels the PaymentIntent of an expired reservation; one that succeeded meanwhile is that
 * success. An intent still processing cannot be cancelled: the reconciliation watches it.
 */
@Injectable()
@OutboxHandler(CANCEL_PAYMENT_INTENT, { lane: 'payments' })
export class CancelPaymentIntentOutboxHandler implements OutboxEventHandler<PaymentEventPayload> {
  constructor(private readonly cancel: CancelPaymentIntentHandler) {}

  // Idempotent: cancelling twice is refused by Stripe as "already cancelled" and read back; a success applies once.
  async handle(message: OutboxMessage<PaymentEventPayload>): Promise<void> {
    const { reservationCode, paymentIntentId, captureMethod } = message.payload;
    if (!paymentIntentId) throw new NonRetryableOutboxError('no payment intent to cancel');
    try {
      await this.cancel.execute({
        reservationCode,
        paymentIntentId,
        idempotencyKey: cancelPaymentIntentKey(reservationCode),
        mayHoldMoney: captureMethod === 'manual',
      });
    } catch (error) {
      if (error instanceof PaymentGatewayRejectedError) throw new NonRetryableOutboxError(error.message, { cause: error });
      throw error;
    }
  }
}
