import { Injectable } from '@nestjs/common';
import { Clock, retryLostRaces, TransactionRunner } from '@app/core';
import {
  NonRetryableOutboxError,
  Outbox,
  OutboxEventHandler,
  OutboxHandler,
  OutboxMessage,
} from '@app/outbox';
import { PAYMENT_CHANGED_AT_STRIPE } from '@app/payments';
import { ReservationsRepository, ReservationStatus } from '@app/reservations';
import { BookingEventPayload, ISSUE_RECEIPT, reservationEvent } from '../booking-events';
import { scheduleSupplierCheckAfterEnd } from '../refund/stripe-refunds';

/**
 * PAYMENT_CHANGED_AT_STRIPE: Stripe moved the money without us (a refund made in the Dashboard,
 * a hold that expired or was cancelled there), and what follows our own refund or release
 * follows it too: a reservation that ended so (refunded, or released) and whose runs may have
 * reached the supplier gets its supplier check, and a released one its receipt version saying
 * nothing was charged (the issuer issues one only after a receipt that said "held").
 */
@Injectable()
@OutboxHandler(PAYMENT_CHANGED_AT_STRIPE, { lane: 'payments' })
export class PaymentChangedAtStripeOutboxHandler implements OutboxEventHandler<BookingEventPayload> {
  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly transactions: TransactionRunner,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
  ) {}

  // Idempotent: a second supplier check only looks, and the issuer issues a version once.
  async handle(message: OutboxMessage<BookingEventPayload>): Promise<void> {
    const code = message.payload.reservationCode;
    await retryLostRaces.execute(() =>
      this.transactions.run(async (manager) => {
        const reservation = await this.reservations.findByCode(code, manager);
        if (!reservation) throw new NonRetryableOutboxError(`no reservation ${code}`);
        await scheduleSupplierCheckAfterEnd(this.outbox, manager, reservation, this.clock.now());
        if (reservation.status === ReservationStatus.RELEASED) {
          await this.outbox.enqueue(manager, {
            ...reservationEvent(ISSUE_RECEIPT, code),
            parkUntilHandled: true,
          });
        }
      }),
    );
  }
}
