import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock, inSpan, linkActiveSpanTo, untraced } from '@app/core';
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
 * Each reservation's work is a span of a trace of its own, linked to the trace that created the
 * reservation (as the payment webhook's is): its Stripe calls, and the booking it enqueues, join it.
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
    // Looking for work is no trace (a run finds nothing most of the time); each reservation's work is one.
    const take = (check: PaymentCheck) => untraced(() => this.reservations.takeForPaymentCheck(check, cutoff, now, batchSize));
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
      await this.reconcile(reservation, 'intent_missing', 'reconciliation could not create a payment intent', async () => {
        if ((await this.startPayment.execute(reservation)).paymentIntentId) started++;
      });
    }
    if (started > 0) this.logger.log({ msg: 'payment intents created by the reconciliation', started });
    return started;
  }

  private async applyMissedOutcomes(waiting: Reservation[]): Promise<number> {
    let applied = 0;
    for (const reservation of waiting) {
      await this.reconcile(reservation, 'outcome_awaited', 'reconciliation could not read a payment intent', async () => {
        const intent = await this.gateway.retrievePaymentIntent(reservation.paymentIntentId!);
        const outcome = outcomeOf(intent);
        if (!outcome) return;
        const result = await this.applyOutcome.execute({
          reservationCode: reservation.code,
          paymentIntentId: intent.id,
          outcome,
          cause: `reconciliation: payment intent ${intent.status}`,
        });
        if (result === 'applied') applied++;
      });
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
      const failed = 'reconciliation could not settle the payment intent of an expired reservation';
      await this.reconcile(reservation, 'cancel_unconfirmed', failed, async () => {
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
      });
    }
    if (expired.length > 0) this.logger.log({ msg: 'expired reservations reconciled', ...seen });
    return seen.paid + seen.canceled;
  }

  /**
   * One reservation's work, in a span of a new trace linked to its creation's; a failure is
   * recorded on the span and logged in it, and the run goes on with the next reservation.
   */
  private reconcile(reservation: Reservation, check: PaymentCheck, failed: string, work: () => Promise<void>): Promise<void> {
    const attributes = { 'reservation.code': reservation.code, 'payment.reconcile.check': check };
    // The span records a failure (inSpan); it is logged inside it, and the run goes on with the next reservation.
    return inSpan('reconcile payment', { parent: null, attributes }, async () => {
      linkActiveSpanTo(reservation.traceContext, { 'reservation.code': reservation.code, 'link.reason': 'the reservation was created there' });
      await work().catch((error: unknown) => {
        this.logger.warn({ msg: failed, reservation: reservation.code, err: error });
        throw error;
      });
    }).catch(() => undefined);
  }
}
