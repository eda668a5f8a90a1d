import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock, retryLostRaces, TransactionRunner } from '@app/core';
import { NonRetryableOutboxError, Outbox, OutboxEventHandler, OutboxHandler, OutboxMessage } from '@app/outbox';
import { PaymentGateway, PaymentGatewayRejectedError, PaymentIntentSnapshot } from '@app/payments';
import { Reservation, ReservationsRepository, ReservationStatus } from '@app/reservations';
import { BookingEventPayload, CAPTURE_PAYMENT, ISSUE_RECEIPT, RELEASE_HOLD, reservationEvent } from '../booking-events';
import { scheduleSupplierCheckAfterEnd } from '../refund/stripe-refunds';

/** One capture per reservation: the same key, however often it is tried (a lost answer is repeated, never doubled). */
export function captureKeyOf(reservationCode: string): string {
  return `reservation-${reservationCode}-capture`;
}

/** One cancellation of the hold per reservation. */
export function releaseKeyOf(reservationCode: string): string {
  return `reservation-${reservationCode}-release`;
}

export type CaptureOutcome = 'captured' | 'refused' | 'nothing_to_do';

/**
 * What every release of a hold by us enqueues with it: RELEASE_HOLD (the intent cancelled, the
 * hold back to the customer at once), and, if booking runs were made, the supplier check after
 * the end (a run that timed out may have booked).
 */
export async function enqueueRelease(outbox: Outbox, manager: EntityManager, reservation: Reservation, now: Date): Promise<void> {
  await outbox.enqueue(manager, reservationEvent(RELEASE_HOLD, reservation.code));
  await scheduleSupplierCheckAfterEnd(outbox, manager, reservation, now);
}

/**
 * Takes a held reservation's money (PAYMENT_CAPTURE=after_supplier_confirmation): the supplier
 * booked it, or the deadline policy decided so. Stripe is called outside any transaction with
 * the reservation's one capture key, so that a retry after a lost answer (a timeout after
 * Stripe captured) gets the same capture back instead of a second one; an intent that can no
 * longer be captured comes back as it is and tells what happened. Then, in one transaction: a
 * capture makes it SUPPLIER_CONFIRMED (with its receipt) or, before booking, PAID; a refusal
 * flags a booked reservation for operators, or releases an unbooked one.
 */
@Injectable()
export class CapturePaymentHandler {
  private readonly logger = new Logger('Capture');

  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly payments: PaymentGateway,
    private readonly transactions: TransactionRunner,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
  ) {}

  /** Throws while Stripe does not answer (PaymentGatewayUnavailableError): the outbox tries again, with the same key. */
  async execute(reservationCode: string): Promise<CaptureOutcome> {
    const reservation = await this.reservations.findByCode(reservationCode);
    if (!reservation) throw new NonRetryableOutboxError(`no reservation ${reservationCode}`);
    if (!reservation.awaitsCapture) return 'nothing_to_do';
    const intent = await this.capture(reservation);
    const outcome = await retryLostRaces.execute(() =>
      this.transactions.run(async (manager) => {
        const fresh = (await this.reservations.findByCode(reservationCode, manager))!;
        if (!fresh.awaitsCapture) return 'nothing_to_do';
        const now = this.clock.now();
        let result: CaptureOutcome;
        if (intent.status === 'succeeded') {
          fresh.recordCapture(now, `payment captured (${intent.id})`);
          result = 'captured';
        } else {
          fresh.refuseCapture(`Stripe could not capture ${intent.id}: it is ${intent.status}`, now);
          result = 'refused';
        }
        await this.followUp(manager, fresh);
        await this.reservations.saveChanges(manager, fresh, now);
        return result;
      }),
    );
    if (outcome === 'refused') this.logger.warn({ msg: `Reservation ${reservationCode}: Stripe refused to capture the hold`, status: intent.status });
    return outcome;
  }

  private async capture(reservation: Reservation): Promise<PaymentIntentSnapshot> {
    try {
      return await this.payments.capturePaymentIntent(reservation.paymentIntentId!, captureKeyOf(reservation.code));
    } catch (error) {
      // Refused for another reason than the intent's state: what the intent is now decides.
      if (error instanceof PaymentGatewayRejectedError) return this.payments.retrievePaymentIntent(reservation.paymentIntentId!);
      throw error;
    }
  }

  /**
   * SUPPLIER_CONFIRMED issues its receipt, and so does a CONFIRMED_INTERNAL one captured before
   * booking (its receipt said "held"); a hold released (refused before booking) is cancelled at Stripe.
   */
  private async followUp(manager: EntityManager, reservation: Reservation): Promise<void> {
    const event = (type: string) => reservationEvent(type, reservation.code);
    // Taken, and Stripe had reported it refunded in full meanwhile: REFUNDED, and its runs may have booked.
    if (reservation.status === ReservationStatus.REFUNDED) await scheduleSupplierCheckAfterEnd(this.outbox, manager, reservation, this.clock.now());
    if (reservation.status === ReservationStatus.SUPPLIER_CONFIRMED || reservation.status === ReservationStatus.CONFIRMED_INTERNAL) {
      // The receipts slice handles it; a process without that slice (the CLI) may still enqueue it.
      await this.outbox.enqueue(manager, { ...event(ISSUE_RECEIPT), parkUntilHandled: true });
    }
    if (reservation.status === ReservationStatus.RELEASED) {
      await enqueueRelease(this.outbox, manager, reservation, this.clock.now());
      await this.outbox.enqueue(manager, { ...event(ISSUE_RECEIPT), parkUntilHandled: true });
    }
  }
}

/** CAPTURE_PAYMENT: enqueued with the supplier's booking of a held reservation, or by the deadline policy. */
@Injectable()
@OutboxHandler(CAPTURE_PAYMENT, { lane: 'payments' })
export class CapturePaymentOutboxHandler implements OutboxEventHandler<BookingEventPayload> {
  constructor(private readonly capture: CapturePaymentHandler) {}

  // Idempotent: the reservation's one capture key, and a reservation captured or flagged already is left alone.
  async handle(message: OutboxMessage<BookingEventPayload>): Promise<void> {
    await this.capture.execute(message.payload.reservationCode);
  }
}

/**
 * RELEASE_HOLD: cancels the PaymentIntent of a RELEASED reservation, which gives the hold back
 * to the customer at once (otherwise the bank would keep it until it expires). An intent that
 * was captured all the same (it should not be) flags the reservation: the money must go back.
 */
@Injectable()
@OutboxHandler(RELEASE_HOLD, { lane: 'payments' })
export class ReleaseHoldOutboxHandler implements OutboxEventHandler<BookingEventPayload> {
  private readonly logger = new Logger('Capture');

  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly payments: PaymentGateway,
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
  ) {}

  // Idempotent: the reservation's one cancellation key, and Stripe reports a cancelled intent as it is.
  async handle(message: OutboxMessage<BookingEventPayload>): Promise<void> {
    const code = message.payload.reservationCode;
    const reservation = await this.reservations.findByCode(code);
    if (!reservation) throw new NonRetryableOutboxError(`no reservation ${code}`);
    if (reservation.status !== ReservationStatus.RELEASED || reservation.paymentIntentCanceledAt) return;
    const intent = await this.payments.cancelPaymentIntent(reservation.paymentIntentId!, releaseKeyOf(code));
    if (intent.status !== 'canceled' && intent.status !== 'succeeded') throw new Error(`hold of ${code} not cancelled yet: ${intent.status}`);
    await retryLostRaces.execute(() =>
      this.transactions.run(async (manager) => {
        const fresh = (await this.reservations.findByCode(code, manager))!;
        const now = this.clock.now();
        if (!fresh.recordHoldCancelled(intent.status === 'canceled', now)) return;
        await this.reservations.saveChanges(manager, fresh, now);
      }),
    );
    if (intent.status === 'succeeded') this.logger.warn({ msg: `Reservation ${code} was released but its payment was captured: refund it` });
  }
}
