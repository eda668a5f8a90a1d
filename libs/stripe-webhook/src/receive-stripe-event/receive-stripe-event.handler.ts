import { Inject, Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { EntityManager } from 'typeorm';
import { Clock, EntitySql, isUniqueViolation, TransactionRunner } from '@app/core';
import { ApplyPaymentOutcomeHandler, stripeConfig, StripeConfig } from '@app/payments';
import { PaymentOutcome } from '@app/reservations';
import { StripeWebhookEvent } from '../stripe-webhook-event.entity';
import { StripeWebhookMetrics } from '../stripe-webhook.metrics';
import { WebhookSignatureInvalidError } from '../stripe-webhook.errors';

/** Stripe's default tolerance: a signature older than this is a replay. */
const TOLERANCE_SECONDS = 300;

export type EventOutcome = 'applied' | 'ignored' | 'unknown_reservation' | 'duplicate' | 'ignored_type' | 'not_ours';

const webhookEventSql = new EntitySql(StripeWebhookEvent);

/** The event types that speak of a payment, and what each means for the reservation. */
const OUTCOME_BY_TYPE: Partial<Record<string, (intent: Stripe.PaymentIntent) => PaymentOutcome>> = {
  'payment_intent.succeeded': () => ({ kind: 'succeeded' }),
  'payment_intent.payment_failed': (intent) => ({
    kind: 'failed',
    failureMessage: intent.last_payment_error?.message ?? null,
  }),
  'payment_intent.processing': () => ({ kind: 'processing' }),
  'payment_intent.canceled': () => ({ kind: 'canceled' }),
};

/**
 * Verifies a Stripe event on its raw body, records its id once, and hands what it says of the
 * payment to the code path shared with the reconciliation — the event record, the status
 * change and any outbox event in one transaction.
 */
@Injectable()
export class ReceiveStripeEventHandler {
  // Only `webhooks.constructEvent` is used: no API call, so the key does not matter.
  private readonly verifier = new Stripe('sk_webhook_verification_only');

  constructor(
    private readonly applyOutcome: ApplyPaymentOutcomeHandler,
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
    private readonly metrics: StripeWebhookMetrics,
    @Inject(stripeConfig.KEY) private readonly config: StripeConfig,
  ) {}

  async execute(rawBody: Buffer | undefined, signature: string | undefined): Promise<EventOutcome> {
    let event: Stripe.Event;
    try {
      event = this.verify(rawBody, signature);
    } catch (error) {
      this.metrics.events.inc({ type: 'unverified', outcome: 'invalid_signature' });
      throw error;
    }
    const outcome = await this.receive(event);
    this.metrics.events.inc({ type: event.type, outcome });
    return outcome;
  }

  private async receive(event: Stripe.Event): Promise<EventOutcome> {
    const toOutcome = OUTCOME_BY_TYPE[event.type];
    const intent = toOutcome ? (event.data.object as Stripe.PaymentIntent) : undefined;
    const reservationCode = intent?.metadata?.reservation_code;
    // A concurrent delivery of the same event waits on this insert's key, then finds it taken.
    const record = (manager: EntityManager, outcome: EventOutcome) =>
      webhookEventSql.insert(manager, {
        eventId: event.id,
        type: event.type.slice(0, 100),
        paymentIntentId: intent?.id ?? null,
        reservationCode: reservationCode?.slice(0, 8) ?? null,
        outcome,
        receivedAt: this.clock.now(),
      });

    try {
      if (!toOutcome || !intent || !reservationCode) {
        // Acknowledged and ignored: other event types, and intents that are not ours.
        const outcome = intent ? 'not_ours' : 'ignored_type';
        await this.transactions.run((manager) => record(manager, outcome));
        return outcome;
      }
      return await this.applyOutcome.execute({
        reservationCode,
        paymentIntentId: intent.id,
        outcome: toOutcome(intent),
        cause: `stripe ${event.type} ${event.id}`,
        before: async (manager) => {
          await record(manager, 'applied');
          return true;
        },
        after: async (manager, outcome) => {
          if (outcome !== 'applied') await manager.update(StripeWebhookEvent, { eventId: event.id }, { outcome });
        },
      });
    } catch (error) {
      if (isUniqueViolation(error)) return 'duplicate';
      throw error;
    }
  }

  private verify(rawBody: Buffer | undefined, signature: string | undefined): Stripe.Event {
    if (!rawBody || !signature) throw new WebhookSignatureInvalidError();
    try {
      return this.verifier.webhooks.constructEvent(rawBody, signature, this.config.webhookSecret, TOLERANCE_SECONDS);
    } catch {
      throw new WebhookSignatureInvalidError();
    }
  }
}
