import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock, TransactionRunner } from '@app/core';
import { Outbox } from '@app/outbox';
import {
  PaymentOutcome,
  Reservation,
  ReservationsRepository,
  ReservationStatus,
  retryOnConcurrentChange,
} from '@app/reservations';
import { BOOK_WITH_SUPPLIER } from '../payment-events';

export type ApplyResult = 'applied' | 'ignored' | 'unknown_reservation' | 'duplicate';

export interface ApplyPaymentOutcome {
  reservationCode: string;
  paymentIntentId: string;
  outcome: PaymentOutcome;
  cause: string;
  /**
   * Runs first, in the same transaction (the webhook records its event id there); returning
   * false means "seen already" and changes nothing.
   */
  before?: (manager: EntityManager) => Promise<boolean>;
  /** Runs last, in the same transaction, with the result. */
  after?: (manager: EntityManager, result: ApplyResult) => Promise<void>;
}

/**
 * The one code path from "Stripe says this of a payment" to the reservation: used by the
 * webhook, the reconciliation and the cancellation of expired reservations. The status change
 * and the BOOK_WITH_SUPPLIER event commit together; a lost optimistic-lock race reloads and
 * decides again (`retryOnConcurrentChange`).
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
    return retryOnConcurrentChange(() =>
      this.transactions.run(async (manager) => {
        if (input.before && !(await input.before(manager))) return 'duplicate';
        const reservation = await this.reservations.findByCode(input.reservationCode, manager);
        const result = reservation ? await this.apply(manager, reservation, input) : 'unknown_reservation';
        await input.after?.(manager, result);
        return result;
      }),
    );
  }

  private async apply(manager: EntityManager, reservation: Reservation, input: ApplyPaymentOutcome): Promise<ApplyResult> {
    const knew = reservation.paymentIntentId === input.paymentIntentId;
    if (!knew && !reservation.attachPaymentIntent(input.paymentIntentId, null)) return 'ignored';
    const now = this.clock.now();
    const changed = reservation.applyPaymentOutcome(input.outcome, input.cause, now);
    if (!changed && knew) return 'ignored';
    if (changed && reservation.status === ReservationStatus.PAID) {
      await this.outbox.enqueue(manager, {
        type: BOOK_WITH_SUPPLIER,
        aggregateType: 'reservation',
        aggregateId: reservation.code,
        payload: { reservationCode: reservation.code },
        parkUntilHandled: true,
      });
    }
    await this.reservations.saveChanges(manager, reservation, now);
    return changed ? 'applied' : 'ignored';
  }
}
