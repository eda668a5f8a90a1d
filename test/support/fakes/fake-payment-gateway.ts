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
  | 'payment_intent.canceled'
  | 'charge.refunded'
  | 'charge.dispute.created'
  | 'charge.dispute.updated'
  | 'charge.dispute.closed';

/** Who made a refund: our API call (`refundPaymentIntent`), or someone in the Stripe Dashboard. */
export type RefundOrigin = 'api' | 'dashboard';

/**
 * A dispute's status at Stripe: a chargeback (needs_response → under_review → won | lost) or an
 * inquiry (warning_needs_response → warning_under_review → warning_closed, or escalated to a chargeback).
 */
export type DisputeStatus =
  | 'warning_needs_response'
  | 'warning_under_review'
  | 'warning_closed'
  | 'needs_response'
  | 'under_review'
  | 'won'
  | 'lost';

/** A dispute's statuses that end it, as Stripe's `charge.dispute.closed` reports them. */
export const CLOSED_DISPUTE_STATUSES: readonly DisputeStatus[] = ['warning_closed', 'won', 'lost'];

/** What a dispute does next: evidence submitted (under review), or the bank decides. */
export type DisputeStep = 'evidence' | 'won' | 'lost';

/** The cardholder's bank disputing a charge; one per charge, as at Stripe. */
export interface FakeDispute {
  id: string;
  paymentIntentId: string;
  chargeId: string;
  amount: number;
  reason: string;
  status: DisputeStatus;
}

/** Stripe's `capture_before` for an online card payment: the bank holds the money about 7 days. */
export const HOLD_MS = 7 * 24 * 3600_000;

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
  /** How many times money was taken on it (a charge, or a capture of the hold): never more than once. */
  captures: number;
  /** The charge, once the customer paid (a hold is a charge not yet captured). */
  chargeId: string | null;
  /** When the hold was placed (manual capture), ms. */
  authorizedAt: number | null;
  /** The charge's `payment_method_details.card.capture_before` of a hold, ms: the bank releases it then. */
  captureBefore: number | null;
  /** Stripe's `cancellation_reason`: `automatic` when the bank released the hold, null when we cancelled it. */
  cancellationReason: string | null;
}

export interface FakeRefund extends RefundSnapshot {
  paymentIntentId: string;
  /** Ours (the API) or the Dashboard's; Stripe lists both among the intent's refunds. */
  origin: RefundOrigin;
}

/** An event as Stripe would POST it, and whether our endpoint acknowledged it (Stripe retries until it does). */
export interface FakeStripeEvent {
  id: string;
  type: StripeEventType;
  /** The intent the event is about (a charge's and a dispute's `payment_intent`). */
  paymentIntentId: string;
  /** The intent, charge or dispute as it was when the event happened (Stripe events carry a snapshot). */
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
 * more than was captured, and records the webhook events each change causes — `charge.refunded`
 * for every refund, ours included, as Stripe sends it. With manual capture the customer's payment
 * is a hold the bank keeps until `capture_before` (HOLD_MS); past it the hold cannot be captured.
 * "The Dashboard" refunds and "the bank" disputes or releases holds through the methods below.
 */
export class FakePaymentGateway extends PaymentGateway {
  readonly intents = new Map<string, FakeIntent>();
  /** Every refund at "Stripe": ours (`origin: 'api'`) and the Dashboard's. */
  readonly refunds: FakeRefund[] = [];
  readonly disputes: FakeDispute[] = [];
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
    this.disputes.length = 0;
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
    // Charged, held (requires_capture: paid, the capture is ours) or cancelled: nothing left to pay.
    if (!intent || intent.status === 'succeeded' || intent.status === 'requires_capture' || intent.status === 'canceled') return false;
    if (result === 'succeeded' && intent.captureMethod === 'manual') {
      const now = this.clock.now().getTime();
      intent.status = 'requires_capture';
      intent.failureMessage = null;
      intent.chargeId = `ch_fake_${++this.sequence}`;
      intent.authorizedAt = now;
      intent.captureBefore = now + HOLD_MS;
      this.emit('payment_intent.amount_capturable_updated', intent);
    } else if (result === 'succeeded') {
      intent.status = 'succeeded';
      intent.failureMessage = null;
      intent.chargeId = `ch_fake_${++this.sequence}`;
      this.take(intent);
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

  // --- the bank and the Dashboard, at Stripe -------------------------------------------------

  /**
   * The card's bank releases a hold (its `capture_before` passed, or the issuer let it go early):
   * Stripe cancels the intent (`cancellation_reason: automatic`) and sends `payment_intent.canceled`.
   * False when the intent holds nothing.
   */
  bankReleasesHold(paymentIntentId: string): boolean {
    const intent = this.intents.get(paymentIntentId);
    if (!intent || intent.status !== 'requires_capture') return false;
    intent.status = 'canceled';
    intent.cancellationReason = 'automatic';
    this.emit('payment_intent.canceled', intent);
    return true;
  }

  /** Time passed: every hold whose `capture_before` is over is released by its bank. Returns how many. */
  releaseExpiredHolds(): number {
    const now = this.clock.now().getTime();
    const due = [...this.intents.values()].filter((intent) => intent.status === 'requires_capture' && intent.captureBefore !== null && intent.captureBefore <= now);
    for (const intent of due) this.bankReleasesHold(intent.id);
    return due.length;
  }

  /** Holds the banks still keep (intents in `requires_capture`). */
  openHolds(): FakeIntent[] {
    return [...this.intents.values()].filter((intent) => intent.status === 'requires_capture');
  }

  /**
   * A support agent refunds in the Stripe Dashboard: `amount` (what is left when omitted) of what
   * was captured and not refunded yet; Stripe sends `charge.refunded` with the charge's totals.
   * Null when Stripe would refuse: nothing captured, nothing left, or the charge is disputed.
   */
  refundInDashboard(paymentIntentId: string, amount?: number): FakeRefund | null {
    const intent = this.intents.get(paymentIntentId);
    if (!intent || intent.captured === 0 || this.chargedBack(intent.id)) return null;
    const left = intent.captured - this.refundedOf(intent.id);
    if (left <= 0) return null;
    return this.makeRefund(intent, Math.min(Math.max(1, amount ?? left), left), 'dashboard');
  }

  /**
   * The cardholder's bank disputes a captured charge (a chargeback, or an inquiry first); Stripe
   * sends `charge.dispute.created`. Null when Stripe would not have it: nothing captured, or the
   * charge is disputed already (one dispute per charge).
   */
  openDispute(paymentIntentId: string, options: { reason: string; inquiry: boolean }): FakeDispute | null {
    const intent = this.intents.get(paymentIntentId);
    if (!intent || intent.status !== 'succeeded' || intent.captured === 0 || this.disputeOf(intent.id)) return null;
    const dispute: FakeDispute = {
      id: `dp_fake_${++this.sequence}`,
      paymentIntentId: intent.id,
      chargeId: intent.chargeId!,
      amount: intent.captured,
      reason: options.reason,
      status: options.inquiry ? 'warning_needs_response' : 'needs_response',
    };
    this.disputes.push(dispute);
    this.emitDispute('charge.dispute.created', dispute);
    return dispute;
  }

  /**
   * A dispute moves on: evidence submitted (`under_review`), or the bank decides — won or lost; an
   * inquiry the bank decides against the merchant becomes a chargeback (`needs_response`), one it
   * drops closes (`warning_closed`). Stripe sends `charge.dispute.updated`, or `.closed` when it
   * ends. Null when there is no such move (no dispute, or closed already).
   */
  moveDispute(paymentIntentId: string, step: DisputeStep): FakeDispute | null {
    const dispute = this.disputeOf(paymentIntentId);
    if (!dispute || CLOSED_DISPUTE_STATUSES.includes(dispute.status)) return null;
    const inquiry = dispute.status.startsWith('warning_');
    let next: DisputeStatus;
    if (step === 'evidence') {
      if (dispute.status.endsWith('under_review')) return null;
      next = inquiry ? 'warning_under_review' : 'under_review';
    } else if (inquiry) {
      next = step === 'won' ? 'warning_closed' : 'needs_response';
    } else {
      next = step;
    }
    dispute.status = next;
    this.emitDispute(CLOSED_DISPUTE_STATUSES.includes(next) ? 'charge.dispute.closed' : 'charge.dispute.updated', dispute);
    return dispute;
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

  /** The refunds we made (through the port), not the Dashboard's. */
  apiRefundsOf(paymentIntentId: string): FakeRefund[] {
    return this.refundsOf(paymentIntentId).filter((refund) => refund.origin === 'api');
  }

  /** The charge's dispute, if its bank opened one. */
  disputeOf(paymentIntentId: string): FakeDispute | undefined {
    return this.disputes.find((dispute) => dispute.paymentIntentId === paymentIntentId);
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
        captures: 0,
        chargeId: null,
        authorizedAt: null,
        captureBefore: null,
        cancellationReason: null,
      };
      this.intents.set(id, intent);
      return snapshotOf(intent);
    });
  }

  async retrievePaymentIntent(id: string, options: { charge?: boolean } = {}): Promise<PaymentIntentSnapshot> {
    // The hold's deadline is on its charge, which Stripe includes only when asked to expand it.
    return this.call('retrieve', null, () => snapshotOf(this.intentOrRefuse(id), options.charge === true));
  }

  async capturePaymentIntent(id: string, idempotencyKey: string): Promise<PaymentIntentSnapshot> {
    return this.call('capture', idempotencyKey, () => {
      const intent = this.intentOrRefuse(id);
      // Past its `capture_before` the bank has let the hold go: Stripe cancels the intent.
      if (intent.status === 'requires_capture' && intent.captureBefore !== null && intent.captureBefore <= this.clock.now().getTime()) {
        this.bankReleasesHold(intent.id);
      }
      // Not held (captured already, cancelled): Stripe refuses, and the product's adapter reads the intent back.
      if (intent.status !== 'requires_capture') return snapshotOf(intent);
      intent.status = 'succeeded';
      this.take(intent);
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
      intent.cancellationReason = null;
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
      // A charge in an open or lost dispute has been charged back: Stripe refuses to refund it.
      if (this.chargedBack(id)) throw new PaymentGatewayRejectedError(`Stripe refused: the charge of ${id} is disputed`, undefined, 'charge_disputed');
      return publicRefund(this.makeRefund(intent, left, 'api'));
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

  /** The money is taken: captured in full (once: a second time would be a double charge, which the invariants look for). */
  private take(intent: FakeIntent): void {
    intent.captured = intent.amount;
    intent.captures++;
  }

  /** A refund of `amount` (never more than is left), and the `charge.refunded` Stripe sends for it, whoever made it. */
  private makeRefund(intent: FakeIntent, amount: number, origin: RefundOrigin): FakeRefund {
    const refund: FakeRefund = { id: `re_fake_${++this.sequence}`, paymentIntentId: intent.id, amount, status: 'succeeded', failureReason: null, origin };
    this.refunds.push(refund);
    this.push('charge.refunded', intent.id, this.chargeObjectOf(intent));
    return refund;
  }

  /** Disputed and not won: the money went back to the cardholder's bank (or may), so Stripe refuses refunds. */
  private chargedBack(paymentIntentId: string): boolean {
    const dispute = this.disputeOf(paymentIntentId);
    return dispute !== undefined && dispute.status !== 'won' && dispute.status !== 'warning_closed';
  }

  /** The charge as a Stripe event's `data.object`, as `charge.refunded` carries it: its totals so far. */
  private chargeObjectOf(intent: FakeIntent): Record<string, unknown> {
    const refunded = this.refundedOf(intent.id);
    return {
      id: intent.chargeId,
      object: 'charge',
      amount: intent.amount,
      amount_captured: intent.captured,
      amount_refunded: refunded,
      captured: intent.captured > 0,
      currency: intent.currency,
      disputed: this.disputeOf(intent.id) !== undefined,
      livemode: false,
      metadata: { reservation_code: intent.reservationCode },
      paid: true,
      payment_intent: intent.id,
      payment_method_details: { type: 'card', card: intent.captureBefore === null ? {} : { capture_before: Math.floor(intent.captureBefore / 1000) } },
      refunded: refunded >= intent.captured,
      status: 'succeeded',
    };
  }

  private emitDispute(type: StripeEventType, dispute: FakeDispute): void {
    const intent = this.intents.get(dispute.paymentIntentId)!;
    this.push(type, dispute.paymentIntentId, {
      id: dispute.id,
      object: 'dispute',
      amount: dispute.amount,
      charge: dispute.chargeId,
      currency: intent.currency,
      // A dispute carries no metadata of the payment: only the PaymentIntent names it.
      metadata: {},
      payment_intent: dispute.paymentIntentId,
      reason: dispute.reason,
      status: dispute.status,
      is_charge_refundable: dispute.status === 'won' || dispute.status === 'warning_closed',
      livemode: false,
    });
  }

  private intentOrRefuse(id: string): FakeIntent {
    const intent = this.intents.get(id);
    if (!intent) throw new PaymentGatewayRejectedError(`Stripe refused: no such payment_intent ${id}`, undefined, 'resource_missing');
    return intent;
  }

  private emit(type: StripeEventType, intent: FakeIntent): void {
    this.push(type, intent.id, stripeObjectOf(intent));
  }

  private push(type: StripeEventType, paymentIntentId: string, object: Record<string, unknown>): void {
    this.events.push({
      id: `evt_fake_${++this.sequence}`,
      type,
      paymentIntentId,
      object,
      created: Math.floor(this.clock.now().getTime() / 1000),
      acknowledged: false,
      deliveries: 0,
    });
  }
}

function snapshotOf(intent: FakeIntent, withCharge = false): PaymentIntentSnapshot {
  return {
    id: intent.id,
    status: intent.status,
    clientSecret: intent.clientSecret,
    amount: intent.amount,
    currency: intent.currency,
    reservationCode: intent.reservationCode,
    failureMessage: intent.failureMessage,
    captureMethod: intent.captureMethod,
    captureBefore: withCharge && intent.captureBefore !== null ? new Date(Math.floor(intent.captureBefore / 1000) * 1000) : null,
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
    // An id: Stripe's events never expand it, so the hold's deadline is not in them.
    latest_charge: intent.chargeId,
    cancellation_reason: intent.status === 'canceled' ? intent.cancellationReason : null,
    client_secret: intent.clientSecret,
    metadata: { reservation_code: intent.reservationCode },
    last_payment_error: intent.failureMessage ? { message: intent.failureMessage, code: 'card_declined' } : null,
  };
}
