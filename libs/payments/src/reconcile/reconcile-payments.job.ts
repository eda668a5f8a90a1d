import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '@app/core';
import { ReservationsRepository, ReservationStatus } from '@app/reservations';
import { ApplyPaymentOutcomeHandler } from '../apply-payment-outcome/apply-payment-outcome.handler';
import { outcomeOf, PaymentGateway } from '../payment-gateway';
import { paymentsConfig, PaymentsConfig } from '../payments.config';

const BATCH = 100;

/**
 * A webhook that never arrives cannot strand a payment: reservations waiting in
 * PAYMENT_IN_PROGRESS longer than `PAYMENT_RECONCILE_AFTER_MINUTES` have their PaymentIntent
 * re-read from Stripe, and what it says goes through the webhook's own code path.
 */
@Injectable()
export class ReconcilePaymentsJob {
  private readonly logger = new Logger(ReconcilePaymentsJob.name);

  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly gateway: PaymentGateway,
    private readonly applyOutcome: ApplyPaymentOutcomeHandler,
    private readonly clock: Clock,
    @Inject(paymentsConfig.KEY) private readonly config: PaymentsConfig,
  ) {}

  async run(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - this.config.reconcileAfterMinutes * 60_000);
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
