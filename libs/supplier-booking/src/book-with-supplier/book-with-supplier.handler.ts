import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock, retryLostRaces, TransactionRunner } from '@app/core';
import { backoffCeilingMs, Outbox } from '@app/outbox';
import { Reservation, ReservationsRepository, ReservationStatus } from '@app/reservations';
import { CAPTURE_PAYMENT, ISSUE_RECEIPT, reservationEvent, RETRY_SUPPLIER_BOOKING } from '../booking-events';
import { enqueueRelease } from '../capture/hold.handlers';
import { BookingRun, SupplierBookingClient } from '../supplier-booking.client';
import { SupplierBookingRequest } from '../supplier-gateway';
import { SupplierRequestsRepository } from '../supplier-requests.repository';
import { suppliersConfig, SuppliersConfig } from '../suppliers.config';

export type BookingOutcome =
  | 'confirmed'
  /** The supplier booked a held reservation: the payment is being captured (CAPTURE_PAYMENT). */
  | 'capturing'
  /** The supplier refused a held reservation: the hold is released, nothing charged. */
  | 'released'
  | 'deferred'
  | 'rejected'
  | 'gave_up'
  | 'stale'
  /** The supplier booked a reservation refunded meanwhile: kept and flagged for an operator. */
  | 'confirmed_after_refund'
  | 'nothing_to_do'
  | 'unknown_reservation';

export interface BookWithSupplier {
  reservationCode: string;
  /** The run count this booking follows; another run since then makes it stale. */
  afterAttempt: number;
  /** Look the booking up before booking (a run that may follow a crash or a timeout). */
  lookupFirst: boolean;
}

/**
 * One booking run: calls the supplier (outside any transaction), then in one transaction
 * records every call, moves the reservation (PAID → SUPPLIER_CONFIRMED, or → CONFIRMED_INTERNAL
 * on a failure) and enqueues what follows: ISSUE_RECEIPT on entering either confirmed state,
 * RETRY_SUPPLIER_BOOKING after a retryable failure. A held reservation (AUTHORIZED) keeps its
 * hold through retries; the supplier's booking enqueues CAPTURE_PAYMENT instead of confirming,
 * and a refusal releases the hold (RELEASED, RELEASE_HOLD). Shared by BOOK_WITH_SUPPLIER, the
 * scheduled retries and the operators' "retry now".
 */
@Injectable()
export class BookWithSupplierHandler {
  private readonly logger = new Logger('SupplierBooking');

  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly requests: SupplierRequestsRepository,
    private readonly transactions: TransactionRunner,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    private readonly client: SupplierBookingClient,
    @Inject(suppliersConfig.KEY) private readonly config: SuppliersConfig,
  ) {}

  async execute(input: BookWithSupplier): Promise<BookingOutcome> {
    const reservation = await this.reservations.findByCode(input.reservationCode);
    if (!reservation) return 'unknown_reservation';
    const due = reservation.bookingRunAfter(input.afterAttempt);
    if (due !== 'due') return due;

    const attempt = reservation.supplierAttempts + 1;
    const run = await this.client.book(reservation.supplierCode, bookingRequestOf(reservation), {
      lookupFirst: input.lookupFirst || reservation.supplierAttempts > 0,
    });
    // The first try writes on the copy read before the call (the conditional update checks it
    // is still current: one read less per booking); a lost race reloads and decides again.
    const outcome = await retryLostRaces.execute(({ attempt: race }) =>
      this.transactions.run(async (manager) => {
        const fresh = race === 0 ? reservation : await this.reservations.findByCode(input.reservationCode, manager);
        if (!fresh) return 'unknown_reservation';
        await this.requests.record(manager, fresh, attempt, run.calls);
        return this.apply(manager, fresh, attempt, run);
      }),
    );
    if (outcome === 'rejected' || outcome === 'gave_up' || outcome === 'confirmed_after_refund') {
      this.logger.warn({ msg: `Reservation ${input.reservationCode} needs an operator: supplier booking ${outcome}`, attempt });
    }
    return outcome;
  }

  private async apply(manager: EntityManager, reservation: Reservation, attempt: number, run: BookingRun): Promise<BookingOutcome> {
    const result = run.result;
    const supplier = reservation.supplierCode;
    // Entering CONFIRMED_INTERNAL from either is what issues the first receipt.
    const wasPaid = reservation.status === ReservationStatus.PAID || reservation.status === ReservationStatus.AUTHORIZED;
    const wasConfirmedInternal = reservation.status === ReservationStatus.CONFIRMED_INTERNAL;
    const now = this.clock.now();

    // Another run got there first, or an operator refunded meanwhile: only a booking still
    // counts, and one the customer no longer pays for is kept and flagged, never dropped.
    if (reservation.bookingRunAfter(attempt - 1) !== 'due') {
      if (result.outcome !== 'confirmed') return 'stale';
      const cause = `${supplier} confirmed ${result.confirmationNumber}`;
      if (reservation.status === ReservationStatus.REFUNDED || reservation.status === ReservationStatus.RELEASED) {
        const after = reservation.status === ReservationStatus.REFUNDED ? 'the refund' : 'the hold was released';
        if (!reservation.keepConfirmationAfterRefund(result.confirmationNumber, `${cause} after ${after}: cancel the supplier booking`)) return 'stale';
        await this.reservations.saveChanges(manager, reservation, now);
        return 'confirmed_after_refund';
      }
      if (!reservation.awaitsSupplier) return 'stale';
      if (reservation.held) {
        await this.captureHeld(manager, reservation, result.confirmationNumber, cause, now);
        return 'capturing';
      }
      const moved = reservation.confirmWithSupplier(result.confirmationNumber, cause);
      if (moved) await this.issueReceipt(manager, reservation);
      await this.reservations.saveChanges(manager, reservation, now);
      return moved ? 'confirmed' : reservation.refundUnderWay ? 'confirmed_after_refund' : 'stale';
    }

    reservation.countBookingRun(attempt);
    let outcome: BookingOutcome;
    switch (result.outcome) {
      case 'confirmed':
        if (reservation.held) {
          await this.captureHeld(manager, reservation, result.confirmationNumber, `${supplier} confirmed ${result.confirmationNumber}`, now);
          outcome = 'capturing';
          break;
        }
        reservation.confirmWithSupplier(result.confirmationNumber, `${supplier} confirmed ${result.confirmationNumber}`);
        outcome = 'confirmed';
        break;
      case 'rejected':
        reservation.rejectBySupplier(`${supplier} rejected: ${result.code} ${result.message}`.trim(), `${supplier} rejected the booking (${result.code})`, now);
        outcome = reservation.status === ReservationStatus.RELEASED ? 'released' : 'rejected';
        if (outcome === 'released') await this.releaseHeld(manager, reservation, wasConfirmedInternal);
        break;
      case 'unavailable': {
        const retryAt = attempt < this.config.retry.maxAttempts ? new Date(now.getTime() + this.retryDelayMs(attempt, result.retryAfterMs)) : null;
        reservation.deferSupplierBooking(result.error, retryAt, `${supplier} unavailable: booking deferred`);
        if (retryAt) {
          await this.outbox.enqueue(manager, {
            type: RETRY_SUPPLIER_BOOKING,
            aggregateType: 'reservation',
            aggregateId: reservation.code,
            payload: { reservationCode: reservation.code, afterAttempt: attempt },
            notBefore: retryAt,
          });
        }
        outcome = retryAt ? 'deferred' : 'gave_up';
        break;
      }
    }
    // A receipt on entering CONFIRMED_INTERNAL or SUPPLIER_CONFIRMED (a new version on the latter).
    const confirmedInternal = reservation.status === ReservationStatus.CONFIRMED_INTERNAL;
    if ((wasPaid && confirmedInternal) || reservation.status === ReservationStatus.SUPPLIER_CONFIRMED) await this.issueReceipt(manager, reservation);
    await this.reservations.saveChanges(manager, reservation, now);
    return outcome;
  }

  /**
   * A refunded reservation whose runs may have reached the supplier: a lookup by our reference
   * (never a booking) tells whether the supplier holds a booking all the same; one it finds is
   * kept and flagged. Throws while the supplier does not answer, so that the outbox asks again.
   */
  async checkAfterRefund(reservationCode: string): Promise<'booked_after_refund' | 'not_booked' | 'nothing_to_do'> {
    const reservation = await this.reservations.findByCode(reservationCode);
    if (!reservation?.endedWithoutSupplierBooking) return 'nothing_to_do';
    const run = await this.client.lookup(reservation.supplierCode, bookingRequestOf(reservation));
    const result = run.result;
    await retryLostRaces.execute(() =>
      this.transactions.run(async (manager) => {
        const fresh = (await this.reservations.findByCode(reservationCode, manager))!;
        await this.requests.record(manager, fresh, fresh.supplierAttempts, run.calls);
        if (result.outcome !== 'confirmed') return;
        const cause = `${fresh.supplierCode} holds booking ${result.confirmationNumber} after the refund: cancel the supplier booking`;
        if (fresh.keepConfirmationAfterRefund(result.confirmationNumber, cause)) await this.reservations.saveChanges(manager, fresh, this.clock.now());
      }),
    );
    if (result.outcome === 'unavailable') throw new Error(`supplier did not answer the lookup: ${result.error}`);
    if (result.outcome !== 'confirmed') return 'not_booked';
    this.logger.warn({ msg: `Reservation ${reservationCode} needs an operator: refunded, and the supplier holds a booking` });
    return 'booked_after_refund';
  }

  /**
   * Exponential from SUPPLIER_RETRY_BASE_SECONDS to SUPPLIER_RETRY_MAX_SECONDS with "equal
   * jitter" (half fixed, half random): spread out, yet never sooner than half the step; and
   * never sooner than the supplier's Retry-After.
   */
  private retryDelayMs(attempt: number, retryAfterMs = 0): number {
    const ceiling = backoffCeilingMs(attempt, { baseMs: this.config.retry.baseSeconds * 1000, maxMs: this.config.retry.maxSeconds * 1000 });
    return Math.max(retryAfterMs, Math.round(ceiling / 2 + (Math.random() * ceiling) / 2));
  }

  /** The supplier booked a held reservation: keep its number, and capture the payment through the outbox. */
  private async captureHeld(manager: EntityManager, reservation: Reservation, confirmationNumber: string, cause: string, now: Date): Promise<void> {
    reservation.confirmHeldBooking(confirmationNumber, cause, now);
    await this.outbox.enqueue(manager, reservationEvent(CAPTURE_PAYMENT, reservation.code));
  }

  /** A released hold is cancelled at Stripe; a receipt issued while it was held gets a version that says nothing was charged. */
  private async releaseHeld(manager: EntityManager, reservation: Reservation, receiptIssued: boolean): Promise<void> {
    await enqueueRelease(this.outbox, manager, reservation, this.clock.now());
    if (receiptIssued) await this.issueReceipt(manager, reservation);
  }

  private issueReceipt(manager: EntityManager, reservation: Reservation): Promise<number> {
    return this.outbox.enqueue(manager, {
      type: ISSUE_RECEIPT,
      aggregateType: 'reservation',
      aggregateId: reservation.code,
      payload: { reservationCode: reservation.code },
      // The receipts slice handles it; a process without that slice (the CLI) may still enqueue it.
      parkUntilHandled: true,
    });
  }
}

export function bookingRequestOf(reservation: Reservation): SupplierBookingRequest {
  return {
    reference: reservation.code,
    pickup: { officeCode: reservation.pickupOfficeCode, local: reservation.pickupLocal },
    dropoff: { officeCode: reservation.dropoffOfficeCode, local: reservation.dropoffLocal },
    carCategory: reservation.carCategoryCode,
    customer: {
      firstName: reservation.customerFirstName,
      lastName: reservation.customerLastName,
      email: reservation.customerEmail,
      phone: reservation.customerPhone,
    },
    price: { amount: reservation.amount, currency: reservation.currency },
  };
}
