import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Outbox } from '@app/outbox';
import { CaptureMethod, PaymentIntentRef, Reservation, ReservationPaymentStarter } from '@app/reservations';
import { CREATE_PAYMENT_INTENT } from '../payment-events';
import { paymentsConfig, PaymentsConfig } from '../payments.config';
import { captureMethodOf, StartPaymentHandler } from './start-payment.handler';

/** When the outbox takes over the PaymentIntent creation if the inline attempt did not make it. */
const PAYMENT_SAFETY_NET_DELAY_MS = 10_000;

/** The payments side of the create use case's port: a PaymentIntent inline, the outbox behind it. */
@Injectable()
export class PaymentStarter implements ReservationPaymentStarter {
  // The context these warnings have always been logged under.
  private readonly logger = new Logger(StartPaymentHandler.name);

  constructor(
    private readonly outbox: Outbox,
    private readonly startPayment: StartPaymentHandler,
    @Inject(paymentsConfig.KEY) private readonly config: PaymentsConfig,
  ) {}

  /**
   * PAYMENT_CAPTURE is read once per reservation, here, before its insert and any request to
   * Stripe: every attempt under its idempotency key (inline, outbox, reconciliation, after a
   * restart with another PAYMENT_CAPTURE) then sends the same parameters.
   */
  captureMethodOfNewReservation(): CaptureMethod {
    return captureMethodOf(this.config.capture.mode);
  }

  async scheduleSafetyNet(manager: EntityManager, reservation: Reservation, now: Date): Promise<void> {
    await this.outbox.enqueue(manager, {
      type: CREATE_PAYMENT_INTENT,
      aggregateType: 'reservation',
      aggregateId: reservation.code,
      payload: { reservationCode: reservation.code },
      notBefore: new Date(now.getTime() + PAYMENT_SAFETY_NET_DELAY_MS),
    });
  }

  /** The inline attempt of POST /reservations: a slow or failing Stripe leaves it to the outbox. */
  async requestIntent(reservation: Reservation): Promise<PaymentIntentRef | null> {
    try {
      return await this.startPayment.requestIntent(reservation);
    } catch (error) {
      this.logger.warn({ msg: 'payment intent not created inline; the outbox will retry', reservation: reservation.code, err: error });
      return null;
    }
  }
}
