import { Injectable, Logger } from '@nestjs/common';
import { Clock, retryLostRaces, TransactionRunner } from '@app/core';
import { CaptureMethod, Reservation, ReservationsRepository, UNPAID } from '@app/reservations';
import { PaymentGateway, PaymentIntentSnapshot } from '../payment-gateway';
import type { PaymentsConfig } from '../payments.config';

/** Stripe's idempotency key for a reservation's one PaymentIntent. */
export function paymentIntentKey(reservationCode: string): string {
  return `reservation-${reservationCode}-payment-intent`;
}

/** How PAYMENT_CAPTURE takes a new reservation's money: held until captured, or at once. */
export function captureMethodOf(mode: PaymentsConfig['capture']['mode']): CaptureMethod {
  return mode === 'after_supplier_confirmation' ? 'manual' : 'automatic';
}

/**
 * Creates the reservation's PaymentIntent and records it: PAYMENT_IN_PROGRESS with its id and
 * client secret. Idempotent: an intent already recorded is returned, and Stripe answers the
 * same key with the same intent, so neither a retry nor a race makes a second one.
 */
@Injectable()
export class StartPaymentHandler {
  private readonly logger = new Logger(StartPaymentHandler.name);

  constructor(
    private readonly gateway: PaymentGateway,
    private readonly reservations: ReservationsRepository,
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
  ) {}

  async execute(reservation: Reservation): Promise<Reservation> {
    const intent = await this.requestIntent(reservation);
    if (!intent) return reservation;
    return retryLostRaces.execute(() =>
      this.transactions.run(async (manager) => {
        const current = (await this.reservations.findByCode(reservation.code, manager))!;
        if (current.attachPaymentIntent(intent.id, intent.clientSecret, intent.captureMethod)) {
          await this.reservations.saveChanges(manager, current, this.clock.now());
        } else {
          this.logger.error({ msg: 'reservation already has another payment intent', reservation: current.code });
        }
        return current;
      }),
    );
  }

  /**
   * Asks Stripe for the reservation's one PaymentIntent (the same on every call, by its derived
   * key) and records nothing; null when it needs none: recorded already, or no longer waiting
   * for money (expired, paid through another path).
   */
  async requestIntent(reservation: Reservation): Promise<PaymentIntentSnapshot | null> {
    if (reservation.paymentIntentId || !UNPAID.includes(reservation.status)) return null;
    const intent = await this.gateway.createPaymentIntent({
      reservationCode: reservation.code,
      amount: reservation.amount,
      currency: reservation.currency,
      idempotencyKey: paymentIntentKey(reservation.code),
      // As decided when the reservation was made (PaymentStarter), never as PAYMENT_CAPTURE is
      // now: a retry after a restart with another mode sends what the first attempt sent. A
      // reservation made before PAYMENT_CAPTURE existed has the column's default, `automatic`.
      captureMethod: reservation.captureMethod,
    });
    if (intent.captureMethod !== reservation.captureMethod) {
      // The key's first request asked for the other one (a build before this decision was stored):
      // that intent is the reservation's, and the reservation follows how it takes the money.
      this.logger.warn({ msg: 'the PaymentIntent was made with another capture method', reservation: reservation.code, captureMethod: intent.captureMethod });
    }
    return intent;
  }
}
