import { Injectable } from '@nestjs/common';
import { Clock, TransactionRunner } from '@app/core';
import { Outbox } from '@app/outbox';
import { BOOK_WITH_SUPPLIER } from '@app/payments';
import { Reservation, ReservationChangedConcurrentlyError, ReservationsRepository, ReservationStatus } from '@app/reservations';
import { RETRY_SUPPLIER_BOOKING, SETTLE_REFUND, SettleRefundPayload } from '../booking-events';
import { BookingRunInProgressError, OperatorReservationNotFoundError, RefundFailedError } from '../supplier-booking.errors';
import { StripeRefunds } from './stripe-refunds';

export interface RefundReservation {
  reservationCode: string;
  lockVersion: number;
  reason: string;
  actor: string;
}

export interface RefundResult {
  reservation: Reservation;
  /** Stripe's answer was lost: the refund stays pending (booking blocked) until the outbox settles it. */
  pending: boolean;
}

/** The inline attempt has this long before SETTLE_REFUND, its safety net, takes over. */
const SETTLE_AFTER_MS = 60_000;
const BOOKING_RUNS = [BOOK_WITH_SUPPLIER, RETRY_SUPPLIER_BOOKING];

/**
 * Refunds a reservation no supplier can serve (CONFIRMED_INTERNAL → REFUNDED). Never while a
 * booking run holds it (the supplier may be booking it right now). First, in one transaction,
 * the refund is marked under way (booking runs stand aside from then on) together with
 * SETTLE_REFUND, which finishes it if this process dies or Stripe's answer is lost; then Stripe
 * is asked with a key derived from the reservation, and what it answered is recorded: refunded,
 * refused (booking may go on), or unknown (pending; the outbox repeats it with the same key).
 */
@Injectable()
export class RefundReservationHandler {
  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly transactions: TransactionRunner,
    private readonly outbox: Outbox,
    private readonly refunds: StripeRefunds,
    private readonly clock: Clock,
  ) {}

  async execute(input: RefundReservation): Promise<RefundResult> {
    const claimed = await this.transactions.run(async (manager) => {
      const reservation = await this.reservations.findByCode(input.reservationCode, manager);
      if (!reservation) throw new OperatorReservationNotFoundError(input.reservationCode);
      if (reservation.lockVersion !== input.lockVersion) throw new ReservationChangedConcurrentlyError(reservation.code);
      const now = this.clock.now();
      // Refuses what is not refundable; nothing is saved if a booking run holds it.
      reservation.requestRefund(now, input.actor);
      if (await this.outbox.isProcessing(manager, { type: 'reservation', id: reservation.code }, BOOKING_RUNS)) {
        throw new BookingRunInProgressError(reservation.code);
      }
      const payload: SettleRefundPayload = { reservationCode: reservation.code, reason: input.reason, actor: input.actor };
      await this.outbox.enqueue(manager, {
        type: SETTLE_REFUND,
        aggregateType: 'reservation',
        aggregateId: reservation.code,
        payload: { ...payload },
        notBefore: new Date(now.getTime() + SETTLE_AFTER_MS),
        parkUntilHandled: true,
      });
      await this.reservations.saveChanges(manager, reservation, now);
      return reservation;
    });

    const attempt = await this.refunds.attempt(claimed);
    const reservation = await this.refunds.record(claimed.code, attempt, { actor: input.actor, reason: input.reason, flagRefusal: false });
    if (attempt.kind === 'refused') throw new RefundFailedError(`The refund of ${claimed.code} failed: ${attempt.error}`);
    return { reservation, pending: attempt.kind === 'unknown' && reservation.status !== ReservationStatus.REFUNDED };
  }
}
