import { Injectable } from '@nestjs/common';
import { NonRetryableOutboxError, OutboxEventHandler, OutboxHandler, OutboxMessage } from '@app/outbox';
import { ReservationsRepository } from '@app/reservations';
import { SETTLE_REFUND, SettleRefundPayload } from '../booking-events';
import { StripeRefunds } from './stripe-refunds';

/** An outcome still unknown: the outbox tries again later, with backoff. */
class RefundOutcomeUnknownError extends Error {}

/**
 * Finishes a refund that the operator's attempt did not: the process died before recording
 * it, or Stripe's answer was lost. Repeats it with the same key while Stripe keeps the key,
 * reads the intent's refunds after that, and retries for as long as the outcome is unknown.
 */
@Injectable()
@OutboxHandler(SETTLE_REFUND, { lane: 'payments' })
export class SettleRefundOutboxHandler implements OutboxEventHandler<SettleRefundPayload> {
  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly refunds: StripeRefunds,
  ) {}

  // Idempotent: a settled refund (refunded or abandoned) ends it, and Stripe's key returns the same refund.
  async handle(message: OutboxMessage<SettleRefundPayload>): Promise<void> {
    const { reservationCode, reason, actor } = message.payload;
    const reservation = await this.reservations.findByCode(reservationCode);
    if (!reservation) throw new NonRetryableOutboxError(`no reservation ${reservationCode}`);
    if (!reservation.refundPending) return;
    const attempt = await this.refunds.attempt(reservation);
    await this.refunds.record(reservationCode, attempt, { actor, reason, flagRefusal: true });
    if (attempt.kind === 'unknown') throw new RefundOutcomeUnknownError(`refund outcome still unknown: ${attempt.error}`);
  }
}
