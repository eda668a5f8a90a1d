import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '@app/core';
import { PaymentCheck, Reservation, ReservationsRepository } from '@app/reservations';
import { ApplyPaymentOutcomeHandler } from '../apply-payment-outcome/apply-payment-outcome.handler';
import { CancelPaymentIntentHandler } from '../expire-unpaid/cancel-payment-intent.handler';
import { cancelPaymentIntentKey } from '../expire-unpaid/cancel-payment-intent.outbox-handler';
import { outcomeOf, PaymentGateway } from '../payment-gateway';
import { paymentsConfig, PaymentsConfig } from '../payments.config';
import { StartPaymentHandler } from '../start-payment/start-payment.handler';

/** Reservations of each kind looked at per run. */
const BATCH = 100;

/**
 * Nothing waits on Stripe unwatched. Reservations unchanged for `PAYMENT_RECONCILE_AFTER_MINUTES`:
 * - PAYMENT_IN_PROGRESS: the intent is re-read, and what it says goes through the webhook's
 *   code path (a lost webhook cannot strand a payment);
 * - CREATED without an intent (its CREATE_PAYMENT_INTENT ran out of attempts while Stripe was
 *   down): the intent is created now, with the same idempotency key;
 * - EXPIRED with an intent not known to be cancelled (the cancel met a processing payment):
 *   see `settleExpired`.
 * Each run takes, of each kind, the least recently checked (`takeForPaymentCheck`), so that
 * more waiting reservations than one batch are all looked at in turn.
 */
@Injectable()
export class ReconcilePaymentsJob {
  private readonly logger = new Logger(ReconcilePaymentsJob.name);

  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly gateway: PaymentGateway,
    private readonly applyOutcome: ApplyPaymentOutcomeHandler,
    private readonly startPayment: StartPaymentHandler,
    private readonly cancelIntent: CancelPaymentIntentHandler,
    private readonly clock: Clock,
    @Inject(paymentsConfig.KEY) private readonly config: PaymentsConfig,
  ) {}

  /** One run; `batchSize` of each kind (tests make it small to watch the walk). */
  async run(batchSize = BATCH): Promise<number> {
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - this.config.reconcileAfterMinutes * 60_000);
    const take = (check: PaymentCheck) => this.reservations.takeForPaymentCheck(check, cutoff, now, batchSize);
    return (
      (await this.startMissingPayments(await take('intent_missing'))) +
      (await this.applyMissedOutcomes(await take('outcome_awaited'))) +
      (await this.settleExpired(await take('cancel_unconfirmed'), now))
    );
  }

  /** CREATED for a while and no PaymentIntent: Stripe was down longer than the outbox kept trying. */
  private async startMissingPayments(stranded: Reservation[]): Promise<number> {
    let started = 0;
    for (const reservation of stranded) {
      try {
        if ((await this.startPayment.execute(reservation)).paymentIntentId) started++;
      } catch (error) {
        this.logger.warn({ msg: 'reconciliation could not create a payment intent', reservation: reservation.code, err: error });
      }
    }
    if (started > 0) this.logger.log({ msg: 'payment intents created by the reconciliation', started });
    return started;
  }

  private async applyMissedOutcomes(waiting: Reservation[]): Promise<number> {
    let applied = 0;
    for (const reservation of waiting) {
      try {
        const intent = await this.gateway.retrievePaymentIntent(reservation.paymentIntentId!);
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

  /**
   * EXPIRED, its intent not known to be cancelled: Stripe refused the cancel because the
   * payment was processing (or the cancel never got through). A success is applied (EXPIRED →
   * PAID: a payment is never lost), a cancellation recorded (no more reads), an intent that can
   * be cancelled again (the processing failed) is cancelled now; still processing: next run.
   */
  private async settleExpired(expired: Reservation[], now: Date): Promise<number> {
    const seen = { paid: 0, canceled: 0, processing: 0 };
    for (const reservation of expired) {
      const paymentIntentId = reservation.paymentIntentId!;
      try {
        const intent = await this.gateway.retrievePaymentIntent(paymentIntentId);
        let status = intent.status;
        const outcome = outcomeOf(intent);
        if (outcome && (outcome.kind === 'succeeded' || outcome.kind === 'canceled' || outcome.kind === 'authorized')) {
          // A hold is that payment too (EXPIRED → AUTHORIZED): never cancelled.
          await this.applyOutcome.execute({
            reservationCode: reservation.code,
            paymentIntentId,
            captureMethod: intent.captureMethod,
            outcome,
            cause: `reconciliation: payment intent ${status}`,
          });
        } else if (status !== 'processing') {
          // A key of its own: Stripe replays the first key's answer (the refusal) for 24 h.
          const idempotencyKey = `${cancelPaymentIntentKey(reservation.code)}-${now.getTime()}`;
          status = await this.cancelIntent.execute({ reservationCode: reservation.code, paymentIntentId, idempotencyKey });
        }
        if (status === 'succeeded' || status === 'requires_capture') seen.paid++;
        else if (status === 'canceled') seen.canceled++;
        else seen.processing++;
      } catch (error) {
        this.logger.warn({ msg: 'reconciliation could not settle the payment intent of an expired reservation', reservation: reservation.code, err: error });
      }
    }
    if (expired.length > 0) this.logger.log({ msg: 'expired reservations reconciled', ...seen });
    return seen.paid + seen.canceled;
  }
}
