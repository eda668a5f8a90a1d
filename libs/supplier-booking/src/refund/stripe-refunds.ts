import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock, retryLostRaces, TransactionRunner } from '@app/core';
import { Outbox } from '@app/outbox';
import { PaymentGateway, PaymentGatewayRejectedError, RefundSnapshot } from '@app/payments';
import { Reservation, ReservationsRepository, ReservationStatus } from '@app/reservations';
import { CHECK_SUPPLIER_AFTER_REFUND, RETRY_SUPPLIER_BOOKING } from '../booking-events';

/** What one attempt at a refund established. */
export type RefundAttempt =
  | { kind: 'refunded'; refundId: string; amount: number }
  | { kind: 'refused'; error: string }
  /** The answer was lost or Stripe could not say yet (timeout, reset, 5xx, 409, 429): it may have refunded. */
  | { kind: 'unknown'; error: string };

/**
 * Stripe keeps an idempotency key for at least 24 hours; within this window the same key
 * returns the same refund, after it the intent's refunds say what happened.
 */
export const REFUND_KEY_WINDOW_MS = 23 * 3_600_000;

/** How long after a refund the supplier is asked whether it holds a booking all the same. */
const CHECK_AFTER_REFUND_MS = 5 * 60_000;

/** One refund per reservation: the same key, whoever asks and however often. */
export function refundKeyOf(reservationCode: string): string {
  return `refund-${reservationCode}`;
}

/**
 * The runs of a reservation that ended without a booking (refunded, or its hold released) may
 * have reached the supplier (a timeout after sending, a supplier that books late): a while
 * after the end, CHECK_SUPPLIER_AFTER_REFUND makes sure the supplier holds no booking, and
 * keeps and flags one it finds. Nothing to check when no run was made, or one was kept.
 */
export async function scheduleSupplierCheckAfterEnd(outbox: Outbox, manager: EntityManager, reservation: Reservation, now: Date): Promise<void> {
  if (!reservation.endedWithoutSupplierBooking || reservation.supplierAttempts === 0) return;
  await outbox.enqueue(manager, {
    type: CHECK_SUPPLIER_AFTER_REFUND,
    aggregateType: 'reservation',
    aggregateId: reservation.code,
    payload: { reservationCode: reservation.code },
    notBefore: new Date(now.getTime() + CHECK_AFTER_REFUND_MS),
    parkUntilHandled: true,
  });
}

/**
 * Asks Stripe for a reservation's refund and records what it established, for the operator's
 * inline attempt and for SETTLE_REFUND alike. An ambiguous answer is never taken for a refusal:
 * only Stripe saying no (a 4xx, or a refund reported failed) abandons the refund.
 */
@Injectable()
export class StripeRefunds {
  private readonly logger = new Logger('Refunds');

  constructor(
    private readonly payments: PaymentGateway,
    private readonly reservations: ReservationsRepository,
    private readonly transactions: TransactionRunner,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
  ) {}

  async attempt(reservation: Reservation): Promise<RefundAttempt> {
    const intent = reservation.paymentIntentId!;
    const now = this.clock.now();
    try {
      const requestedAt = reservation.refundRequestedAt ?? now;
      if (now.getTime() - requestedAt.getTime() < REFUND_KEY_WINDOW_MS) {
        return judged(await this.payments.refundPaymentIntent(intent, refundKeyOf(reservation.code)));
      }
      // Stripe no longer knows the key: a refund it made under it is on the intent. Only a total
      // that covers the payment ends it: a partial refund made in the Dashboard is not ours.
      const made = await this.refundsOf(intent, reservation.amount);
      if (made) return made;
      // None was made; a key per day keeps repeats within a day to one refund, and Stripe never
      // refunds more than was captured.
      return judged(await this.payments.refundPaymentIntent(intent, `${refundKeyOf(reservation.code)}-${now.toISOString().slice(0, 10)}`));
    } catch (error) {
      const message = (error as Error).message.slice(0, 200);
      if (!(error instanceof PaymentGatewayRejectedError)) return { kind: 'unknown', error: message };
      // Refunded already (another attempt, or by hand at Stripe): the intent's refunds tell how much.
      if (error.providerCode === 'charge_already_refunded') {
        return (await this.refundsOf(intent, reservation.amount).catch(() => null)) ?? { kind: 'unknown', error: message };
      }
      return { kind: 'refused', error: message };
    }
  }

  /**
   * Writes what an attempt established. `flagRefusal`: nobody is waiting for the answer (the
   * outbox settled it), so a refusal flags the reservation for an operator.
   */
  record(code: string, attempt: RefundAttempt, context: { actor: string; reason: string; flagRefusal: boolean }): Promise<Reservation> {
    return retryLostRaces.execute(() =>
      this.transactions.run(async (manager) => {
        const reservation = (await this.reservations.findByCode(code, manager))!;
        if (!this.apply(reservation, attempt, context)) return reservation;
        await scheduleSupplierCheckAfterEnd(this.outbox, manager, reservation, this.clock.now());
        // Refused: booking goes on. A retry that came due meanwhile stood aside, so schedule one
        // (runs are numbered: a retry still pending makes this one stale, or the other way round),
        // unless an operator is already asked to decide.
        if (attempt.kind === 'refused' && !reservation.refundUnderWay && !reservation.needsAttention) {
          await this.outbox.enqueue(manager, {
            type: RETRY_SUPPLIER_BOOKING,
            aggregateType: 'reservation',
            aggregateId: reservation.code,
            payload: { reservationCode: reservation.code, afterAttempt: reservation.supplierAttempts },
            notBefore: reservation.supplierNextRetryAt ?? undefined,
          });
        }
        await this.reservations.saveChanges(manager, reservation, this.clock.now());
        return reservation;
      }),
    );
  }

  private apply(reservation: Reservation, attempt: RefundAttempt, context: { actor: string; reason: string; flagRefusal: boolean }): boolean {
    switch (attempt.kind) {
      case 'refunded': {
        if (!reservation.canTransitionTo(ReservationStatus.REFUNDED)) return false;
        const amount = `${(attempt.amount / 100).toFixed(2)} ${reservation.currency}`;
        reservation.refund(attempt.refundId, attempt.amount, `refunded ${amount}: ${context.reason}`.slice(0, 255), context.actor);
        return true;
      }
      case 'refused':
        if (!reservation.refundPending) return false;
        this.logger.error({ msg: `Refund of ${reservation.code} refused: ${attempt.error}`, reservation: reservation.code });
        reservation.abandonRefund(attempt.error, context.actor, { flag: context.flagRefusal });
        return true;
      case 'unknown':
        if (!reservation.refundPending) return false;
        this.logger.warn({ msg: `Refund of ${reservation.code}: outcome unknown (${attempt.error}); the outbox settles it`, reservation: reservation.code });
        reservation.markRefundOutcomeUnknown(attempt.error, context.actor);
        return true;
    }
  }

  /** The intent's refunds, as a refund done, when they add up to `paid` (whoever made them); null otherwise. */
  private async refundsOf(intent: string, paid: number): Promise<RefundAttempt | null> {
    const made = (await this.payments.listRefunds(intent)).filter((refund) => refund.status === 'succeeded' || refund.status === 'pending');
    const total = made.reduce((sum, refund) => sum + refund.amount, 0);
    if (made.length === 0 || total < paid) return null;
    return { kind: 'refunded', refundId: made[0].id, amount: total };
  }
}

function judged(refund: RefundSnapshot): RefundAttempt {
  switch (refund.status) {
    case 'succeeded':
    case 'pending':
      return { kind: 'refunded', refundId: refund.id, amount: refund.amount };
    case 'failed':
    case 'canceled':
      return { kind: 'refused', error: `Stripe reports the refund ${refund.id} ${refund.status}${refund.failureReason ? `: ${refund.failureReason}` : ''}` };
    default:
      return { kind: 'unknown', error: `Stripe reports the refund ${refund.id} ${refund.status}` };
  }
}
