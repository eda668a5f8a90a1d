import { Injectable } from '@nestjs/common';
import { Clock, TransactionRunner } from '@app/core';
import { Outbox } from '@app/outbox';
import { Reservation, ReservationChangedConcurrentlyError, ReservationsRepository } from '@app/reservations';
import { RETRY_SUPPLIER_BOOKING } from '../booking-events';
import { OperatorReservationNotFoundError } from '../supplier-booking.errors';

export interface RetrySupplierBookingNow {
  reservationCode: string;
  /** The version the operator looked at: a reservation changed since is refused. */
  lockVersion: number;
  actor: string;
}

/**
 * "Retry now": schedules a booking run at once, in the transaction that records who asked.
 * The run follows the latest one, so a retry that was already scheduled becomes stale.
 */
@Injectable()
export class RetrySupplierBookingNowHandler {
  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly transactions: TransactionRunner,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
  ) {}

  execute(input: RetrySupplierBookingNow): Promise<Reservation> {
    return this.transactions.run(async (manager) => {
      const reservation = await this.reservations.findByCode(input.reservationCode, manager);
      if (!reservation) throw new OperatorReservationNotFoundError(input.reservationCode);
      if (reservation.lockVersion !== input.lockVersion) throw new ReservationChangedConcurrentlyError(reservation.code);
      const now = this.clock.now();
      reservation.retrySupplierBookingNow(now, input.actor);
      await this.outbox.enqueue(manager, {
        type: RETRY_SUPPLIER_BOOKING,
        aggregateType: 'reservation',
        aggregateId: reservation.code,
        payload: { reservationCode: reservation.code, afterAttempt: reservation.supplierAttempts },
      });
      await this.reservations.saveChanges(manager, reservation, now);
      return reservation;
    });
  }
}
