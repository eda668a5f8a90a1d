import { Injectable } from '@nestjs/common';
import { NonRetryableOutboxError, OutboxEventHandler, OutboxHandler, OutboxMessage } from '@app/outbox';
import { ReservationsRepository } from '@app/reservations';
import { CREATE_PAYMENT_INTENT, PaymentEventPayload } from '../payment-events';
import { PaymentGatewayRejectedError } from '../payment-gateway';
import { StartPaymentHandler } from './start-payment.handler';

/** The safety net of the inline creation: runs a little later, and does nothing if it succeeded. */
@Injectable()
@OutboxHandler(CREATE_PAYMENT_INTENT, { lane: 'payments' })
export class CreatePaymentIntentOutboxHandler implements OutboxEventHandler<PaymentEventPayload> {
  constructor(
    private readonly startPayment: StartPaymentHandler,
    private readonly reservations: ReservationsRepository,
  ) {}

  // Idempotent: an intent already recorded ends it, and Stripe's idempotency key returns the same intent.
  async handle(message: OutboxMessage<PaymentEventPayload>): Promise<void> {
    const reservation = await this.reservations.findByCode(message.payload.reservationCode);
    if (!reservation) throw new NonRetryableOutboxError(`no reservation ${message.payload.reservationCode}`);
    try {
      await this.startPayment.execute(reservation);
    } catch (error) {
      if (error instanceof PaymentGatewayRejectedError) throw new NonRetryableOutboxError(error.message, { cause: error });
      throw error;
    }
  }
}
