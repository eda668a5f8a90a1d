import { Injectable, Logger } from '@nestjs/common';
import { Clock, TransactionRunner } from '@app/core';
import { PaymentGateway, RefundSnapshot } from '@app/payments';
import {
  Reservation,
  ReservationChangedConcurrentlyError,
  ReservationsRepository,
  ReservationStatus,
  retryOnConcurrentChange,
} from '@app/reservations';
import { OperatorActionNotAllowedError, OperatorReservationNotFoundError, RefundFailedError } from './operator.errors';

export interface RefundReservation {
  reservationCode: string;
  lockVersion: number;
  reason: string;
  actor: string;
}

/**
 * Refunds a reservation no supplier can serve (CONFIRMED_INTERNAL → REFUNDED) in three steps:
 * mark the refund as under way (booking runs stand aside from then on), ask Stripe with a key
 * derived from the reservation (a repeated request is the same refund; Stripe never refunds
 * more than was captured), then record it. A refund Stripe refuses is reported to the operator
 * and written to the history; the reservation goes back to waiting for its supplier.
 */
@Injectable()
export class RefundReservationHandler {
  private readonly logger = new Logger('Refunds');

  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly transactions: TransactionRunner,
    private readonly payments: PaymentGateway,
    private readonly clock: Clock,
  ) {}

  async execute(input: RefundReservation): Promise<Reservation> {
    const claimed = await this.transactions.run(async (manager) => {
      const reservation = await this.reservations.findByCode(input.reservationCode, manager);
      if (!reservation) throw new OperatorReservationNotFoundError(input.reservationCode);
      if (reservation.lockVersion !== input.lockVersion) throw new ReservationChangedConcurrentlyError(reservation.code);
      if (reservation.status !== ReservationStatus.CONFIRMED_INTERNAL || !reservation.paymentIntentId) {
        throw new OperatorActionNotAllowedError(
          `Reservation ${reservation.code} is ${reservation.status}: only a CONFIRMED_INTERNAL reservation is refunded.`,
        );
      }
      reservation.requestRefund(this.clock.now(), input.actor);
      await this.reservations.saveChanges(manager, reservation, this.clock.now());
      return reservation;
    });

    let refund: RefundSnapshot;
    try {
      refund = await this.payments.refundPaymentIntent(claimed.paymentIntentId!, refundKeyOf(claimed.code));
      if (refund.status === 'failed' || refund.status === 'canceled') {
        throw new Error(`Stripe reports the refund ${refund.id} ${refund.status}${refund.failureReason ? `: ${refund.failureReason}` : ''}`);
      }
    } catch (error) {
      const message = (error as Error).message.slice(0, 200);
      this.logger.error({ msg: `Refund of ${claimed.code} failed: ${message}`, reservation: claimed.code });
      await this.change(claimed.code, (reservation) => reservation.abandonRefund(message, input.actor));
      throw new RefundFailedError(`The refund of ${claimed.code} failed: ${message}`, { cause: error });
    }

    return this.change(claimed.code, (reservation) => {
      if (reservation.status === ReservationStatus.REFUNDED) return;
      const amount = `${(refund.amount / 100).toFixed(2)} ${reservation.currency}`;
      reservation.refund(refund.id, refund.amount, `refunded ${amount}: ${input.reason}`.slice(0, 255), input.actor);
    });
  }

  private change(code: string, mutate: (reservation: Reservation) => void): Promise<Reservation> {
    return retryOnConcurrentChange(() =>
      this.transactions.run(async (manager) => {
        const reservation = (await this.reservations.findByCode(code, manager))!;
        mutate(reservation);
        await this.reservations.saveChanges(manager, reservation, this.clock.now());
        return reservation;
      }),
    );
  }
}

/** One refund per reservation: the same key, whoever asks and however often. */
export function refundKeyOf(reservationCode: string): string {
  return `refund-${reservationCode}`;
}
