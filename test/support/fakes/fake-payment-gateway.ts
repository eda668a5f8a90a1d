import {
  CreatePaymentIntent,
  PaymentGateway,
  PaymentGatewayRejectedError,
  PaymentGatewayUnavailableError,
  PaymentIntentSnapshot,
  PaymentIntentStatus,
  RefundSnapshot,
} from '@app/payments';
import { Clock } from '@app/core';
import type { CaptureMethod } from '@app/reservations';
import { Gate } from './gate';

export type StripeOperation = 'create' | 'retrieve' | 'cancel' | 'capture' | 'refund' | 'listRefunds';

/**
 * What "Stripe" does with the next call of an operation:
 * - succeed: does it and answers;
 * - refuse: answers 4xx (PaymentGatewayRejectedError), nothing done;
 * - unavailable: answers 5xx (PaymentGatewayUnavailableError), nothing done;
 * - ambiguous: does it, then the answer is lost (PaymentGatewayUnavailableError).
 */
export type StripeOutcome = 'succeed' | 'refuse' | 'unavailable' | 'ambiguous';

export type StripeEventType =
  | 'payment_intent.succeeded'
  | 'payment_intent.payment_failed'
  | 'payment_intent.processing'
  | 'payment_intent.amount_capturable_updated'
  | 'payment_intent.canceled';

export interface FakeIntent {
  id: string;
  reservationCode: string;
  amount: number;
  currency: string;
  status: PaymentIntentStatus;
  clientSecret: string;
  failureMessage: string | null;
  /** Ground truth: minor units taken from the customer. */
  captured: number;
  captureMethod: CaptureMethod;
}

export interface FakeRefund extends RefundSnapshot {
  paymentIntentId: string;
}

/** An event as Stripe would POST it, and whether our endpoint acknowledged it (Stripe retries until it does). */
export interface FakeStripeEvent {
  id: string;
  type: StripeEventType;
  paymentIntentId: string;
  /** The intent as it was when the event happened (Stripe events carry a snapshot). */
  object: Record<string, unknown>;
  created: number;
  acknowledged: boolean;
  deliveries: number;
}

/** Stripe keeps idempotency keys for 24 hours. */
const KEY_RETENTION_MS = 24 * 3600_000;

/**
 * A hand-written Stripe behind the PaymentGateway port, keeping the ground truth of money:
 * what was captured and refunded per intent. Like Stripe it honours idempotency keys (the same
 * key within 24 h gives the same object: no second intent, no second refund), never refunds
 * more than was captured, and records the webhook events each change causes.
 */
export class FakePaymentGateway extends PaymentGateway {
  readonly intents = new Map<string, FakeIntent>();
  readonly refunds: FakeRefund[] = [];
  readonly events: FakeStripeEvent[] = [];
  private readonly keys = new Map<string, { at: number; result: unknown }>();
  private readonly scripts = new Map<StripeOperation, StripeOutcome[]>();
  private readonly gates = new Map<StripeOperation, Gate>();
  private sequence = 0;

  constructor(private readonly clock: Clock) {
    super();
  }

  reset(): void {
    this.intents.clear();
    this.refunds.length = 0;
    this.events.length = 0;
    this.keys.clear();
    this.scripts.clear();
    this.gates.clear();
  }

  /** The next calls of `operation` end as given, in order; then they succeed. */
  script(operation: StripeOperation, ...outcomes: StripeOutcome[]): void {
    this.scripts.set(operation, [...(this.scripts.get(operation) ?? []), ...outcomes]);
  }

  /** Forgets what was scripted, for one operation or for all. */
  clearScripts(operation?: StripeOperation): void {
    if (operation) this.scripts.delete(operation);
    else this.scripts.clear();
  }

  /** The next call of `operation` waits, on the wire, until the gate is released. */
  hold(operation: StripeOperation): Gate {
    const gate = new Gate();
    this.gates.set(operation, gate);
    return gate;
  }

  /** Drops a hold no call came for. */
  unhold(operation: StripeOperation): void {
    this.gates.delete(operation);
  }

  // --- the customer, at Stripe -------------------------------------------------------------

  /** The customer confirms the payment of an intent: the card is charged, declined, or the payment starts processing. */
  customerPays(paymentIntentId: string, result: 'succeeded' | 'declined' | 'processing'): boolean {
    const intent = this.intents.get(paymentIntentId);
    if (!intent || intent.status === 'succeeded' || intent.status === 'canceled') return false;
    if (result === 'succeeded' && intent.captureMethod === 'manual') {
      if (intent.status === 'requires_capture') return false;
      intent.status = 'requires_capture';
      intent.failureMessage = null;
      this.emit('payment_intent.amount_capturable_updated', intent);
    } else if (result === 'succeeded') {
      intent.status = 'succeeded';
      intent.failureMessage = null;
      intent.captured = intent.amount;
      this.emit('payment_intent.succeeded', intent);
    } else if (result === 'declined') {
      intent.status = 'requires_payment_method';
      intent.failureMessage = 'Your card was declined.';
      this.emit('payment_intent.payment_failed', intent);
    } else {
      if (intent.status === 'processing') return false;
      intent.status = 'processing';
      this.emit('payment_intent.processing', intent);
    }
    return true;
  }

  // --- ground truth -------------------------------------------------------------------------

  intentsOf(reservationCode: string): FakeIntent[] {
    return [...this.intents.values()].filter((intent) => intent.reservationCode === reservationCode);
  }

  refundsOf(paymentIntentId: string): FakeRefund[] {
    return this.refunds.filter((refund) => refund.paymentIntentId === paymentIntentId);
  }

  refundedOf(paymentIntentId: string): number {
    return this.refundsOf(paymentIntentId).reduce((sum, refund) => sum + refund.amount, 0);
  }

  // --- the port -----------------------------------------------------------------------------

  async createPaymentIntent(request: CreatePaymentIntent): Promise<PaymentIntentSnapshot> {
    return this.call('create', request.idempotencyKey, () => {
      const id = `pi_fake_${++this.sequence}`;
      const intent: FakeIntent = {
        id,
        reservationCode: request.reservationCode,
        amount: request.amount,
        currency: request.currency.toLowerCase(),
        status: 'requires_payment_method',
        clientSecret: `${id}_secret_${this.sequence}`,
        failureMessage: null,
        captured: 0,
        captureMethod: request.captureMethod,
      };
      this.intents.set(id, intent);
      return snapshotOf(intent);
    });
  }

  async retrievePaymentIntent(id: string): Promise<PaymentIntentSnapshot> {
    return this.call('retrieve', null, () => snapshotOf(this.intentOrRefuse(id)));
  }

  async capturePaymentIntent(id: string, idempotencyKey: string): Promise<PaymentIntentSnapshot> {
    return this.call('capture', idempotencyKey, () => {
      const intent = this.intentOrRefuse(id);
      // Not held (captured already, cancelled): Stripe refuses, and the product's adapter reads the intent back.
      if (intent.status !== 'requires_capture') return snapshotOf(intent);
      intent.status = 'succeeded';
      intent.captured = intent.amount;
      this.emit('payment_intent.succeeded', intent);
      return snapshotOf(intent);
    });
  }

  async cancelPaymentIntent(id: string, idempotencyKey: string): Promise<PaymentIntentSnapshot> {
    return this.call('cancel', idempotencyKey, () => {
      const intent = this.intentOrRefuse(id);
      // Succeeded, processing or cancelled already: Stripe refuses, and the product's adapter reads the intent back.
      if (intent.status === 'succeeded' || intent.status === 'processing' || intent.status === 'canceled') return snapshotOf(intent);
      // A hold (requires_capture) is released: nothing was taken.
      intent.status = 'canceled';
      this.emit('payment_intent.canceled', intent);
      return snapshotOf(intent);
    });
  }

  async refundPaymentIntent(id: string, idempotencyKey: string): Promise<RefundSnapshot> {
    return this.call('refund', idempotencyKey, () => {
      const intent = this.intentOrRefuse(id);
      if (intent.captured === 0) {
        throw new PaymentGatewayRejectedError(`Stripe refused: ${id} has no successful charge`, undefined, 'charge_not_captured');
      }
      const left = intent.captured - this.refundedOf(id);
      if (left <= 0) {
        throw new PaymentGatewayRejectedError(`Stripe refused: the charge of ${id} has already been refunded`, undefined, 'charge_already_refunded');
      }
      const refund: FakeRefund = { id: `re_fake_${++this.sequence}`, paymentIntentId: id, amount: left, status: 'succeeded', failureReason: null };
      this.refunds.push(refund);
      return publicRefund(refund);
    });
  }

  async listRefunds(paymentIntentId: string): Promise<RefundSnapshot[]> {
    return this.call('listRefunds', null, () => this.refundsOf(paymentIntentId).map(publicRefund));
  }

  private async call<T>(operation: StripeOperation, idempotencyKey: string | null, effect: () => T): Promise<T> {
    const gate = this.gates.get(operation);
    if (gate) {
      this.gates.delete(operation);
      await gate.pass();
    }
    const outcome = this.scripts.get(operation)?.shift() ?? 'succeed';
    if (outcome === 'unavailable') throw new PaymentGatewayUnavailableError(`Stripe unavailable (fake ${operation}: 503)`);

    const now = this.clock.now().getTime();
    const scope = idempotencyKey ? `${operation}:${idempotencyKey}` : null;
    const saved = scope ? this.keys.get(scope) : undefined;
    let result: T;
    if (saved && now - saved.at < KEY_RETENTION_MS) {
      // A key that ran already is answered with its saved result, never refused.
      result = structuredClone(saved.result) as T;
    } else {
      if (outcome === 'refuse') throw new PaymentGatewayRejectedError(`Stripe refused (fake ${operation}: 400)`, undefined, 'fake_refusal');
      // A refusal is not saved under the key (Stripe keeps only requests that ran), so a later try decides again.
      result = effect();
      if (scope) this.keys.set(scope, { at: now, result: structuredClone(result) });
    }
    if (outcome === 'ambiguous') throw new PaymentGatewayUnavailableError(`Stripe call failed (fake ${operation}: the answer was lost)`);
    return result;
  }

  private intentOrRefuse(id: string): FakeIntent {
    const intent = this.intents.get(id);
    if (!intent) throw new PaymentGatewayRejectedError(`Stripe refused: no such payment_intent ${id}`, undefined, 'resource_missing');
    return intent;
  }

  private emit(type: StripeEventType, intent: FakeIntent): void {
    this.events.push({
      id: `evt_fake_${++this.sequence}`,
      type,
      paymentIntentId: intent.id,
      object: stripeObjectOf(intent),
      created: Math.floor(this.clock.now().getTime() / 1000),
      acknowledged: false,
      deliveries: 0,
    });
  }
}

function snapshotOf(intent: FakeIntent): PaymentIntentSnapshot {
  return {
    id: intent.id,
    status: intent.status,
    clientSecret: intent.clientSecret,
    amount: intent.amount,
    currency: intent.currency,
    reservationCode: intent.reservationCode,
    failureMessage: intent.failureMessage,
    captureMethod: intent.captureMethod,
    captureBefore: null,
  };
}

function publicRefund(refund: FakeRefund): RefundSnapshot {
  return { id: refund.id, amount: refund.amount, status: refund.status, failureReason: refund.failureReason };
}

/** The PaymentIntent as a Stripe event's `data.object`. */
function stripeObjectOf(intent: FakeIntent): Record<string, unknown> {
  return {
    id: intent.id,
    object: 'payment_intent',
    amount: intent.amount,
    amount_received: intent.captured,
    currency: intent.currency,
    status: intent.status,
    capture_method: intent.captureMethod,
    amount_capturable: intent.status === 'requires_capture' ? intent.amount : 0,
    client_secret: intent.clientSecret,
    metadata: { reservation_code: intent.reservationCode },
    last_payment_error: intent.failureMessage ? { message: intent.failureMessage, code: 'card_declined' } : null,
  };
}
