import {
  newEvent,
  newPaymentIntent,
  newRefund,
  noSuchPaymentIntent,
  SandboxEvent,
  SandboxPaymentIntent,
  SandboxRefund,
  StripeApiError,
  unixNow,
} from './stripe-objects';
import { FaultQueue, SandboxOperation } from './stripe-faults';

/** An HTTP answer as the sandbox gives it, kept whole so that an Idempotency-Key replays it exactly. */
export interface Answer {
  status: number;
  body: unknown;
}

/** An intent as an operation left it, and the event that tells the product (for a webhook). */
export interface IntentChange {
  intent: SandboxPaymentIntent;
  event: SandboxEvent;
}

// Stripe cancels a `processing` intent only "in rare cases" (not cards, not bank debits): the
// sandbox refuses, so that an expiry can meet an intent it cannot cancel yet.
const CANCELABLE = ['requires_payment_method'];

/**
 * Everything the sandbox remembers, in memory: intents, the events log, refunds, the
 * Idempotency-Key cache, the faults still to inject and the call counters, with the operations
 * on them. It speaks no HTTP and sends no webhook: an operation that emits an event returns it,
 * and the caller decides whether to deliver it. `reset()` forgets it all at once, so that a test
 * starts from nothing.
 */
export class StripeStore {
  private intents = new Map<string, SandboxPaymentIntent>();
  private log: SandboxEvent[] = [];
  private refundList: SandboxRefund[] = [];
  private idempotent = new Map<string, { fingerprint: string; answer: Answer }>();
  readonly faults = new FaultQueue();
  private counts = new Map<string, number>();
  private retrievalsById = new Map<string, number>();

  reset(): void {
    this.intents = new Map();
    this.log = [];
    this.refundList = [];
    this.idempotent = new Map();
    this.faults.clear();
    this.counts = new Map();
    this.retrievalsById = new Map();
  }

  // --- payment intents ----------------------------------------------------------------

  paymentIntent(id: string): SandboxPaymentIntent | undefined {
    return this.intents.get(id);
  }

  paymentIntents(): SandboxPaymentIntent[] {
    return [...this.intents.values()];
  }

  createPaymentIntent(params: Record<string, unknown>): SandboxPaymentIntent {
    const intent = newPaymentIntent(params);
    this.intents.set(intent.id, intent);
    return intent;
  }

  /** The intent, or Stripe's 404 `resource_missing` as the API answers it. */
  find(id: string): SandboxPaymentIntent {
    const intent = this.intents.get(id);
    if (!intent) throw noSuchPaymentIntent(id, 'intent');
    return intent;
  }

  cancel(id: string, params: Record<string, unknown>): IntentChange {
    const intent = this.find(id);
    if (!CANCELABLE.includes(intent.status)) {
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        code: 'payment_intent_unexpected_state',
        message: `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
        payment_intent: structuredClone(intent),
      });
    }
    intent.status = 'canceled';
    intent.canceled_at = unixNow();
    intent.cancellation_reason = typeof params.cancellation_reason === 'string' ? params.cancellation_reason : null;
    return { intent, event: this.record('payment_intent.canceled', intent) };
  }

  // --- the customer's card (plain errors: a test or a developer drives it) -----------

  succeed(id: string): IntentChange {
    return this.settle(id, 'payment_intent.succeeded', (intent) => {
      intent.status = 'succeeded';
      intent.amount_received = intent.amount;
      intent.last_payment_error = null;
    });
  }

  fail(id: string, options: { message?: string; decline_code?: string } = {}): IntentChange {
    return this.settle(id, 'payment_intent.payment_failed', (intent) => {
      intent.status = 'requires_payment_method';
      intent.last_payment_error = {
        type: 'card_error',
        code: 'card_declined',
        decline_code: options.decline_code ?? 'generic_decline',
        message: options.message ?? 'Your card was declined.',
      };
    });
  }

  process(id: string): IntentChange {
    return this.settle(id, 'payment_intent.processing', (intent) => {
      intent.status = 'processing';
    });
  }

  private settle(id: string, type: string, change: (intent: SandboxPaymentIntent) => void): IntentChange {
    const intent = this.intents.get(id);
    if (!intent) throw new Error(`No such payment_intent: ${id}`);
    if (intent.status === 'succeeded' || intent.status === 'canceled') {
      throw new Error(`payment_intent ${id} is ${intent.status}`);
    }
    change(intent);
    return { intent, event: this.record(type, intent) };
  }

  // --- events -------------------------------------------------------------------------

  events(): SandboxEvent[] {
    return [...this.log];
  }

  event(id: string): SandboxEvent | undefined {
    return this.log.find((candidate) => candidate.id === id);
  }

  private record(type: string, intent: SandboxPaymentIntent): SandboxEvent {
    const event = newEvent(type, intent);
    this.log.push(event);
    return event;
  }

  // --- refunds ------------------------------------------------------------------------

  refunds(): SandboxRefund[] {
    return [...this.refundList];
  }

  createRefund(params: Record<string, unknown>): SandboxRefund {
    const id = String(params.payment_intent ?? '');
    const refund = newRefund(this.intents.get(id), this.refundedAmount(id), params);
    this.refundList.push(refund);
    return refund;
  }

  /** What has been refunded of an intent so far. */
  refundedAmount(paymentIntentId: string): number {
    return this.refundList.filter((r) => r.payment_intent === paymentIntentId).reduce((sum, r) => sum + r.amount, 0);
  }

  // --- Idempotency-Key ----------------------------------------------------------------

  /** The first request made with `key`: its fingerprint (method, URL, parameters) and its answer. */
  idempotentAnswer(key: string): { fingerprint: string; answer: Answer } | undefined {
    return this.idempotent.get(key);
  }

  rememberAnswer(key: string, fingerprint: string, answer: Answer): void {
    this.idempotent.set(key, { fingerprint, answer });
  }

  /** Stripe keeps idempotency keys for 24 hours: this is the day after, when a key is new again. */
  forgetIdempotencyKeys(): void {
    this.idempotent = new Map();
  }

  // --- counters -----------------------------------------------------------------------

  calls(operation: SandboxOperation): number {
    return this.counts.get(operation) ?? 0;
  }

  countCall(operation: SandboxOperation): void {
    this.counts.set(operation, this.calls(operation) + 1);
  }

  /** GET /v1/payment_intents/{id} requests for one intent, faulted ones included. */
  retrievals(id: string): number {
    return this.retrievalsById.get(id) ?? 0;
  }

  countRetrieval(id: string): void {
    this.retrievalsById.set(id, this.retrievals(id) + 1);
  }
}
