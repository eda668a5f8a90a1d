import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '@app/core';
import { Outbox } from '@app/outbox';
import { DisputeFacts, Reservation, ReservationsRepository } from '@app/reservations';
import { ApplyResult, paymentChangedAtStripe } from '../apply-payment-outcome/apply-payment-outcome.handler';

/** What Stripe reports of a reservation's charge, beyond its PaymentIntent's state. */
export type ChargeChange =
  /** `charge.refunded`: the charge's refunded total so far, out of what it captured. */
  | { kind: 'refunded'; refundedTotal: number; capturedTotal: number; currency: string }
  /** `charge.dispute.*`: the dispute as it stands. */
  | { kind: 'disputed'; dispute: DisputeFacts };

export interface ApplyChargeChange {
  /** From the charge's metadata when it has it (Stripe copies the PaymentIntent's); a dispute has none. */
  reservationCode: string | null;
  paymentIntentId: string;
  change: ChargeChange;
  cause: string;
}

/**
 * Money that moved at Stripe outside our own calls — a refund made in the Dashboard, a dispute
 * opened by the cardholder's bank — applied to its reservation in the caller's transaction (the
 * webhook's, which records the event in it, so that each event is applied once). The event
 * carries totals and the dispute's latest status, so a redelivery or an older event changes
 * nothing. A full refund that makes the reservation REFUNDED enqueues PAYMENT_CHANGED_AT_STRIPE
 * in the same transaction: the supplier-booking slice makes sure no booking is left behind.
 */
@Injectable()
export class ApplyChargeChangeHandler {
  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
  ) {}

  async apply(manager: EntityManager, input: ApplyChargeChange): Promise<ApplyResult> {
    const reservation = await this.find(manager, input);
    if (!reservation) return 'unknown_reservation';
    // Another intent than the reservation's one: not a payment of this reservation.
    if (reservation.paymentIntentId !== input.paymentIntentId) return 'ignored';
    const now = this.clock.now();
    const change = input.change;
    if (change.kind === 'refunded') {
      const refunded = `${formatMinor(change.refundedTotal)} of ${formatMinor(change.capturedTotal)} ${change.currency.toUpperCase()}`;
      const effect = reservation.recordRefundAtStripe(
        change,
        `refunded ${refunded} at Stripe (${input.cause})`,
      );
      if (!effect) return 'ignored';
      if (effect === 'refunded') await this.outbox.enqueue(manager, paymentChangedAtStripe(reservation.code));
    } else {
      const { dispute } = change;
      if (
        !reservation.recordDispute(
          dispute,
          `dispute ${dispute.id} ${dispute.status} (${dispute.reason}) (${input.cause})`,
          now,
        )
      )
        return 'ignored';
    }
    await this.reservations.saveChanges(manager, reservation, now);
    return 'applied';
  }

  private find(manager: EntityManager, input: ApplyChargeChange): Promise<Reservation | null> {
    return input.reservationCode
      ? this.reservations.findByCode(input.reservationCode, manager)
      : this.reservations.findByPaymentIntentId(input.paymentIntentId, manager);
  }
}

function formatMinor(amount: number): string {
  return (amount / 100).toFixed(2);
}
