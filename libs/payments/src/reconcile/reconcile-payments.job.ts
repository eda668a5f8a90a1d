import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '@app/core';
import { ReservationsRepository, ReservationStatus } from '@app/reservations';
import { ApplyPaymentOutcomeHandler } from '../apply-payment-outcome/apply-payment-outcome.handler';
import { outcomeOf, PaymentGateway } from '../payment-gateway';
import { paymentsConfig, PaymentsConfig } from '../payments.config';
import { StartPaymentHandler } from '../start-payment/start-payment.handler';

const BATCH = 100;

/**
 * A webhook that never arrives cannot strand a payment: reservations waiting in
 * PAYMENT_IN_PROGRESS longer than `PAYMENT_RECONCILE_AFTER_MINUTES` have their PaymentIntent
 * re-read from Stripe, and what it says goes through the webhook's own code path.
 *
 * Nor can a long Stripe outage: a reservation still CREATED without a PaymentIntent after
 * that long (its CREATE_PAYMENT_INTENT event ran out of attempts while Stripe was down) gets
 * one now, with the same idempotency key, until the reservation expires.
 */
@Injectable()
export class ReconcilePaymentsJob {
  private readonly logger = new Logger(ReconcilePaymentsJob.name);

  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly gateway: PaymentGateway,
    private readonly applyOutcome: ApplyPaymentOutcomeHandler,
    private readonly startPayment: StartPaymentHandler,
    private readonly clock: Clock,
    @Inject(paymentsConfig.KEY) private readonly config: PaymentsConfig,
  ) {}

  async run(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - this.config.reconcileAfterMinutes * 60_000);
    return (await this.startMissingPayments(cutoff)) + (await this.applyMissedOutcomes(cutoff));
  }

  /** CREATED for a while and no PaymentIntent: Stripe was down longer than the outbox kept trying. */
  private async startMissingPayments(cutoff: Date): Promise<number> {
    const stranded = await this.reservations.findUpdatedBefore([ReservationStatus.CREATED], cutoff, BATCH);
    let started = 0;
    for (const reservation of stranded) {
      if (reservation.paymentIntentId) continue;
      try {
        if ((await this.startPayment.execute(reservation)).paymentIntentId) started++;
      } catch (error) {
        this.logger.warn({ msg: 'reconciliation could not create a payment intent', reservation: reservation.code, err: error });
      }
    }
    if (started > 0) this.logger.log({ msg: 'payment intents created by the reconciliation', started });
    return started;
  }

  private async applyMissedOutcomes(cutoff: Date): Promise<number> {
    const waiting = await this.reservations.findUpdatedBefore([ReservationStatus.PAYMENT_IN_PROGRESS], cutoff, BATCH);
    let applied = 0;
    for (const reservation of waiting) {
      if (!reservation.paymentIntentId) continue;
      try {
        const intent = await this.gateway.retrievePaymentIntent(reservation.paymentIntentId);
        const outcome = outcomeOf(intent);
        if (!outcome) continue;
        const result = await this.applyOutcome.execute({
          reservationCode: reservation.code,
          paymentIntentId: intent.id,
          outcome,
          cause: `reconciliation: payment intent ${intent.status}`,
        });
        if (result === 'applied') applied++;
      } catch (error) {
        this.logger.warn({ msg: 'reconciliation could not read a payment intent', reservation: reservation.code, err: error });
      }
    }
    if (applied > 0) this.logger.log({ msg: 'payments reconciled', applied });
    return applied;
  }
}
