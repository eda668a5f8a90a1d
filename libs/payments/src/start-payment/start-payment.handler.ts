import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock, retryLostRaces, TransactionRunner } from '@app/core';
import { Reservation, ReservationsRepository, UNPAID } from '@app/reservations';
import { PaymentGateway, PaymentIntentSnapshot } from '../payment-gateway';
import { paymentsConfig, PaymentsConfig } from '../payments.config';

/** Stripe's idempotency key for a reservation's one PaymentIntent. */
export function paymentIntentKey(reservationCode: string): string {
  return `reservation-${reservationCode}-payment-intent`;
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
    @Inject(paymentsConfig.KEY) private readonly config: PaymentsConfig,
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
    return this.gateway.createPaymentIntent({
      reservationCode: reservation.code,
      amount: reservation.amount,
      currency: reservation.currency,
      idempotencyKey: paymentIntentKey(reservation.code),
      // PAYMENT_CAPTURE as it is when the intent is made; the reservation keeps the intent's own.
      captureMethod: this.config.capture.mode === 'after_supplier_confirmation' ? 'manual' : 'automatic',
    });
  }
}
