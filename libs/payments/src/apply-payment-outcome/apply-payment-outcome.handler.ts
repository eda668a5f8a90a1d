import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock, linkActiveSpanTo, retryLostRaces, TransactionRunner } from '@app/core';
import { Outbox } from '@app/outbox';
import { CaptureMethod, PaymentOutcome, ReservationsRepository, ReservationStatus } from '@app/reservations';
import { BOOK_WITH_SUPPLIER, PAYMENT_CHANGED_AT_STRIPE } from '../payment-events';

export type ApplyResult = 'applied' | 'ignored' | 'unknown_reservation';

export interface ApplyPaymentOutcome {
  reservationCode: string;
  paymentIntentId: string;
  /** As the intent says, when it says (a webhook's intent does). */
  captureMethod?: CaptureMethod;
  outcome: PaymentOutcome;
  cause: string;
}

/**
 * The one code path from "Stripe says this of a payment" to the reservation: used by the
 * webhook, the reconciliation and the cancellation of expired reservations. The status change
 * and the BOOK_WITH_SUPPLIER event commit together. `apply` runs in the caller's transaction
 * (the webhook's, which records the event in it); `execute` opens one of its own and runs it
 * again when it loses a race (`retryLostRaces`): each run reloads the reservation and decides again.
 */
@Injectable()
export class ApplyPaymentOutcomeHandler {
  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly transactions: TransactionRunner,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
  ) {}

  execute(input: ApplyPaymentOutcome): Promise<ApplyResult> {
    return retryLostRaces.execute(() => this.transactions.run((manager) => this.apply(manager, input)));
  }

  async apply(manager: EntityManager, input: ApplyPaymentOutcome): Promise<ApplyResult> {
    const reservation = await this.reservations.findByCode(input.reservationCode, manager);
    if (!reservation) return 'unknown_reservation';
    // Stripe's event comes in a trace of its own: point it to the trace that created the reservation.
    linkActiveSpanTo(reservation.traceContext, { 'reservation.code': reservation.code, 'link.reason': 'the reservation was created there' });
    const knew = reservation.paymentIntentId === input.paymentIntentId;
    if (!knew && !reservation.attachPaymentIntent(input.paymentIntentId, null, input.captureMethod)) return 'ignored';
    const now = this.clock.now();
    const changed = reservation.applyPaymentOutcome(input.outcome, input.cause, now);
    if (!changed && knew) return 'ignored';
    // Booking starts once the money is taken, or held (AUTHORIZED); a capture before booking
    // (AUTHORIZED to PAID, the deadline policy) finds its booking under way already.
    const booking = reservation.status === ReservationStatus.PAID ? !reservation.authorizedAt : reservation.status === ReservationStatus.AUTHORIZED;
    if (changed && booking) {
      await this.outbox.enqueue(manager, {
        type: BOOK_WITH_SUPPLIER,
        aggregateType: 'reservation',
        aggregateId: reservation.code,
        payload: { reservationCode: reservation.code },
        parkUntilHandled: true,
      });
    }
    // Its hold expired, or was cancelled at Stripe (a receipt that said "held" is to be corrected);
    // or the payment came after Stripe had reported it refunded in full (REFUNDED at once).
    if (changed && (reservation.status === ReservationStatus.RELEASED || reservation.status === ReservationStatus.REFUNDED)) {
      await this.outbox.enqueue(manager, paymentChangedAtStripe(reservation.code));
    }
    await this.reservations.saveChanges(manager, reservation, now);
    return changed ? 'applied' : 'ignored';
  }
}

/** PAYMENT_CHANGED_AT_STRIPE of one reservation, parked until the supplier-booking slice handles it. */
export function paymentChangedAtStripe(reservationCode: string) {
  return {
    type: PAYMENT_CHANGED_AT_STRIPE,
    aggregateType: 'reservation',
    aggregateId: reservationCode,
    payload: { reservationCode },
    parkUntilHandled: true,
  };
}
