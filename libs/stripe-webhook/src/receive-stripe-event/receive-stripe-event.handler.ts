import { Inject, Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { Clock, retryLostRaces, TransactionRunner } from '@app/core';
import {
  ApplyChargeChange,
  ApplyChargeChangeHandler,
  ApplyPaymentOutcome,
  ApplyPaymentOutcomeHandler,
  captureBeforeOf,
  ChargeChange,
  stripeConfig,
  StripeConfig,
} from '@app/payments';
import { PaymentOutcome } from '@app/reservations';
import { StripeWebhookEventsRepository } from '../stripe-webhook-events.repository';
import { StripeWebhookMetrics } from '../stripe-webhook.metrics';
import { WebhookSignatureInvalidError } from '../stripe-webhook.errors';

/** Stripe's default tolerance: a signature older than this is a replay. */
const TOLERANCE_SECONDS = 300;

export type EventOutcome = 'applied' | 'ignored' | 'unknown_reservation' | 'duplicate' | 'ignored_type' | 'not_ours';

/** The event types that speak of a payment, and what each means for the reservation. */
const OUTCOME_BY_TYPE: Partial<Record<string, (intent: Stripe.PaymentIntent) => PaymentOutcome>> = {
  'payment_intent.succeeded': () => ({ kind: 'succeeded' }),
  'payment_intent.payment_failed': (intent) => ({
    kind: 'failed',
    failureMessage: intent.last_payment_error?.message ?? null,
  }),
  'payment_intent.processing': () => ({ kind: 'processing' }),
  'payment_intent.canceled': () => ({ kind: 'canceled' }),
  // A manual-capture intent in `requires_capture`: the money is held. Stripe sends the charge as
  // an id, so the hold's deadline is usually learnt later (the deadline job reads the charge).
  'payment_intent.amount_capturable_updated': (intent) => ({ kind: 'authorized', captureBefore: captureBeforeOf(intent) }),
};

/** What a verified event says of one of our payments, or undefined when it says nothing of one. */
function paymentOf(event: Stripe.Event): ApplyPaymentOutcome | undefined {
  const toOutcome = OUTCOME_BY_TYPE[event.type];
  if (!toOutcome) return undefined;
  const intent = event.data.object as Stripe.PaymentIntent;
  const reservationCode = intent.metadata?.reservation_code;
  if (!reservationCode) return undefined;
  return {
    reservationCode,
    paymentIntentId: intent.id,
    captureMethod: intent.capture_method === 'manual' ? 'manual' : 'automatic',
    outcome: toOutcome(intent),
    cause: `stripe ${event.type} ${event.id}`,
  };
}

/**
 * The event types that move money outside our own calls (the Dashboard, the cardholder's bank),
 * each as what it says of the charge. A charge carries the PaymentIntent's metadata (Stripe
 * copies it); a dispute names only the PaymentIntent.
 */
const CHARGE_CHANGE_BY_TYPE: Partial<Record<string, (object: Stripe.Event.Data.Object) => ChargeChange>> = {
  'charge.refunded': (object) => {
    const charge = object as Stripe.Charge;
    return { kind: 'refunded', refundedTotal: charge.amount_refunded, capturedTotal: charge.amount_captured, currency: charge.currency };
  },
  'charge.dispute.created': disputeChange,
  'charge.dispute.updated': disputeChange,
  'charge.dispute.closed': disputeChange,
};

function disputeChange(object: Stripe.Event.Data.Object): ChargeChange {
  const dispute = object as Stripe.Dispute;
  return { kind: 'disputed', dispute: { id: dispute.id, status: dispute.status, reason: dispute.reason } };
}

function chargeChangeOf(event: Stripe.Event): ApplyChargeChange | undefined {
  const toChange = CHARGE_CHANGE_BY_TYPE[event.type];
  if (!toChange) return undefined;
  const object = event.data.object as Stripe.Charge | Stripe.Dispute;
  const paymentIntentId = idOf(object.payment_intent);
  if (!paymentIntentId) return undefined;
  const metadata = (object as Stripe.Charge).object === 'charge' ? (object as Stripe.Charge).metadata : undefined;
  return { reservationCode: metadata?.reservation_code ?? null, paymentIntentId, change: toChange(object), cause: `stripe ${event.type} ${event.id}` };
}

function idOf(reference: string | { id: string } | null | undefined): string | undefined {
  return typeof reference === 'string' ? reference : reference?.id;
}

/** An event we apply, with the handler that applies it. */
type Applicable = { kind: 'payment'; input: ApplyPaymentOutcome } | { kind: 'charge'; input: ApplyChargeChange };

function applicableOf(event: Stripe.Event): Applicable | undefined {
  const payment = paymentOf(event);
  if (payment) return { kind: 'payment', input: payment };
  const charge = chargeChangeOf(event);
  return charge ? { kind: 'charge', input: charge } : undefined;
}

/** Whether we apply events of this type at all (of another product's payments, they are `not_ours`). */
function handledType(type: string): boolean {
  return OUTCOME_BY_TYPE[type] !== undefined || CHARGE_CHANGE_BY_TYPE[type] !== undefined;
}

/**
 * Verifies a Stripe event on its raw body, then, in one transaction: records its id (a
 * redelivery stops there), applies what it says of the payment (through the code path shared
 * with the reconciliation) or of its charge (a refund made at Stripe, a dispute), with the
 * status change and any outbox event, and records the outcome.
 */
@Injectable()
export class ReceiveStripeEventHandler {
  // Only `webhooks.constructEvent` is used: no API call, so the key does not matter.
  private readonly verifier = new Stripe('sk_webhook_verification_only');

  constructor(
    private readonly applyOutcome: ApplyPaymentOutcomeHandler,
    private readonly applyChargeChange: ApplyChargeChangeHandler,
    private readonly events: StripeWebhookEventsRepository,
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

  private receive(event: Stripe.Event): Promise<EventOutcome> {
    const applicable = applicableOf(event);
    // Acknowledged and ignored: other event types, and payments that are not ours.
    const unapplied: EventOutcome = handledType(event.type) ? 'not_ours' : 'ignored_type';
    return retryLostRaces.execute(() =>
      this.transactions.run(async (manager) => {
        const first = await this.events.recordFirstDelivery(manager, {
          eventId: event.id,
          type: event.type.slice(0, 100),
          paymentIntentId: applicable?.input.paymentIntentId ?? null,
          reservationCode: applicable?.input.reservationCode?.slice(0, 8) ?? null,
          outcome: applicable ? 'applied' : unapplied,
          receivedAt: this.clock.now(),
        });
        if (!first) return 'duplicate';
        if (!applicable) return unapplied;
        const result =
          applicable.kind === 'payment'
            ? await this.applyOutcome.apply(manager, applicable.input)
            : await this.applyChargeChange.apply(manager, applicable.input);
        if (result !== 'applied') await this.events.setOutcome(manager, event.id, result);
        return result;
      }),
    );
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
