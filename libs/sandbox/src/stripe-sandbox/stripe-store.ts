import { StripeCharges } from './stripe-charges';
import { FaultQueue, SandboxOperation } from './stripe-faults';
import {
  amountParam,
  newEvent,
  newPaymentIntent,
  noSuch,
  SandboxCharge,
  SandboxDispute,
  SandboxEvent,
  SandboxEventObject,
  SandboxPaymentIntent,
  SandboxRefund,
  StripeApiError,
  unexpectedState,
  unixNow,
} from './stripe-objects';

/** An HTTP answer as the sandbox gives it, kept whole so that an Idempotency-Key replays it exactly. */
export interface Answer {
  status: number;
  body: unknown;
}

/**
 * One API request as the sandbox took it: the Idempotency-Key it carried (POST only) and what
 * became of it: `performed` (answered, or left unanswered by `commit_then_timeout`), `replayed`
 * (a known key: the first answer again), `refused` (a known key with other parameters:
 * `idempotency_error`), or `faulted` (an injected error or timeout; nothing done).
 */
export interface SandboxRequest {
  operation: SandboxOperation;
  path: string;
  idempotency_key: string | null;
  outcome: 'performed' | 'replayed' | 'refused' | 'faulted';
}

/** An intent as an operation left it, and the events that tell the product, in order (for webhooks). */
export interface IntentChange {
  intent: SandboxPaymentIntent;
  events: SandboxEvent[];
}

/** A refund: the refund, the charge it came out of, and the `charge.refunded` event. */
export interface DashboardRefund {
  refund: SandboxRefund;
  charge: SandboxCharge;
  event: SandboxEvent;
}

/** A dispute as an operation left it, and its `charge.dispute.*` event. */
export interface DisputeChange {
  dispute: SandboxDispute;
  event: SandboxEvent;
}

/** `GET /v1/payment_intents/{id}?expand[]=latest_charge` puts the charge object in place of its id. */
export type ExpandedPaymentIntent = Omit<SandboxPaymentIntent, 'latest_charge'> & {
  latest_charge: string | SandboxCharge | null;
};

// Stripe cancels a `processing` intent only "in rare cases" (not cards, not bank debits): the
// sandbox refuses, so that an expiry can meet an intent it cannot cancel yet. Cancelling a held
// payment releases the hold.
const CANCELABLE = ['requires_payment_method', 'requires_capture'];

// The card actions stop at a paid intent: a held one waits for a capture, a cancel or its expiry.
const PAID = ['requires_capture', 'succeeded', 'canceled'];

// The API requests `requests()` remembers at least: the latest ones.
const REQUEST_LOG_SIZE = 10_000;

// Stripe's `capture_before` for an online card payment: the bank holds the amount for 7 days.
const HOLD_SECONDS = 7 * 24 * 60 * 60;

/**
 * Everything the sandbox remembers, in memory: intents, their charges, refunds and disputes
 * (`charges`), the events log, the Idempotency-Key cache, the faults still to inject and the
 * call counters, with the operations on them. It speaks no HTTP and sends no webhook: an
 * operation that emits events returns them, and the caller decides whether to deliver them.
 * `reset()` forgets it all at once, so that a test starts from nothing.
 */
export class StripeStore {
  private intents = new Map<string, SandboxPaymentIntent>();
  readonly charges = new StripeCharges();
  private log: SandboxEvent[] = [];
  private idempotent = new Map<string, { fingerprint: string; answer: Answer }>();
  readonly faults = new FaultQueue();
  private counts = new Map<string, number>();
  private requestLog: SandboxRequest[] = [];
  private retrievalsById = new Map<string, number>();

  reset(): void {
    this.intents = new Map();
    this.charges.clear();
    this.log = [];
    this.idempotent = new Map();
    this.faults.clear();
    this.counts = new Map();
    this.requestLog = [];
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
    if (!intent) throw noSuch('payment_intent', id, 'intent');
    return intent;
  }

  /** The intent as `GET` answers it, with `latest_charge` expanded when asked (nothing else expands). */
  retrieve(id: string, expand: unknown): ExpandedPaymentIntent {
    const intent = this.find(id);
    const fields = expand === undefined ? [] : Array.isArray(expand) ? expand : [expand];
    const unknown = fields.find((field) => field !== 'latest_charge');
    if (unknown !== undefined) {
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        param: 'expand',
        message: `This property cannot be expanded (${String(unknown)}).`,
      });
    }
    return fields.length ? { ...intent, latest_charge: this.charges.of(intent) ?? null } : intent;
  }

  cancel(id: string, params: Record<string, unknown>): IntentChange {
    const intent = this.find(id);
    if (!CANCELABLE.includes(intent.status)) {
      throw unexpectedState(
        intent,
        `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
      );
    }
    const reason = typeof params.cancellation_reason === 'string' ? params.cancellation_reason : null;
    // Releasing a hold is the customer's cancellation unless told otherwise; an unpaid intent keeps null.
    const fallback = intent.status === 'requires_capture' ? 'requested_by_customer' : null;
    return this.canceled(intent, reason ?? fallback);
  }

  /** Takes the held money (all of it, or `amount_to_capture`): the payment succeeds for what was captured. */
  capture(id: string, params: Record<string, unknown>): IntentChange {
    const intent = this.find(id);
    const charge = this.heldCharge(intent);
    const amount = amountParam(params.amount_to_capture, 'amount_to_capture', intent.amount_capturable);
    if (amount > intent.amount_capturable) {
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        code: 'amount_too_large',
        param: 'amount_to_capture',
        message: `The amount to capture (${amount}) must be less than or equal to the amount capturable (${intent.amount_capturable}).`,
      });
    }
    this.charges.capture(charge, amount);
    intent.status = 'succeeded';
    intent.amount_received = amount;
    intent.amount_capturable = 0;
    return {
      intent,
      events: [this.record('payment_intent.succeeded', intent), this.record('charge.captured', charge)],
    };
  }

  /** The bank released a hold nobody captured in time: Stripe cancels the intent as `automatic`. */
  expireAuthorization(id: string): IntentChange {
    const intent = this.intents.get(id);
    if (!intent) throw new Error(`No such payment_intent: ${id}`);
    if (intent.status !== 'requires_capture') {
      throw new Error(`payment_intent ${id} is ${intent.status}, not requires_capture`);
    }
    return this.canceled(intent, 'automatic');
  }

  /** The charge a capture takes the money from: a hold the bank still keeps, or Stripe's refusal. */
  private heldCharge(intent: SandboxPaymentIntent): SandboxCharge {
    const charge = this.charges.of(intent);
    if (intent.status !== 'requires_capture' || !charge) {
      throw unexpectedState(
        intent,
        `This PaymentIntent could not be captured because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
      );
    }
    if (this.charges.holdExpired(charge)) {
      throw unexpectedState(
        intent,
        `This PaymentIntent could not be captured because it has a status of ${intent.status} and its authorization expired at ${charge.payment_method_details.card.capture_before} (capture_before).`,
      );
    }
    return charge;
  }

  private canceled(intent: SandboxPaymentIntent, reason: string | null): IntentChange {
    intent.status = 'canceled';
    intent.canceled_at = unixNow();
    intent.cancellation_reason = reason;
    intent.amount_capturable = 0;
    return { intent, events: [this.record('payment_intent.canceled', intent)] };
  }

  // --- the customer's card (plain errors: a test or a developer drives it) -----------

  /** An automatic intent is charged at once; a manual one is only held, until `capture_before`. */
  succeed(id: string, options: { capture_before?: unknown } = {}): IntentChange {
    const intent = this.payable(id);
    // Number(): a form body sends the time as text.
    const captureBefore =
      options.capture_before === undefined ? unixNow() + HOLD_SECONDS : Number(options.capture_before);
    if (!Number.isInteger(captureBefore)) throw new Error('capture_before must be a unix time in seconds');
    intent.last_payment_error = null;
    return intent.capture_method === 'manual' ? this.hold(intent, captureBefore) : this.chargeNow(intent);
  }

  fail(id: string, options: { message?: string; decline_code?: string } = {}): IntentChange {
    const intent = this.payable(id);
    intent.status = 'requires_payment_method';
    intent.last_payment_error = {
      type: 'card_error',
      code: 'card_declined',
      decline_code: options.decline_code ?? 'generic_decline',
      message: options.message ?? 'Your card was declined.',
    };
    return { intent, events: [this.record('payment_intent.payment_failed', intent)] };
  }

  process(id: string): IntentChange {
    const intent = this.payable(id);
    intent.status = 'processing';
    return { intent, events: [this.record('payment_intent.processing', intent)] };
  }

  /** Charged and captured at once; only `payment_intent.succeeded`, as the product has always seen. */
  private chargeNow(intent: SandboxPaymentIntent): IntentChange {
    intent.latest_charge = this.charges.create(intent, null).id;
    intent.status = 'succeeded';
    intent.amount_received = intent.amount;
    return { intent, events: [this.record('payment_intent.succeeded', intent)] };
  }

  /** Authorized: the amount is capturable, nothing is received yet. */
  private hold(intent: SandboxPaymentIntent, captureBefore: number): IntentChange {
    const charge = this.charges.create(intent, { capture_before: captureBefore });
    intent.latest_charge = charge.id;
    intent.status = 'requires_capture';
    intent.amount_capturable = intent.amount;
    intent.amount_received = 0;
    return {
      intent,
      events: [
        this.record('payment_intent.amount_capturable_updated', intent),
        this.record('charge.succeeded', charge),
      ],
    };
  }

  private payable(id: string): SandboxPaymentIntent {
    const intent = this.intents.get(id);
    if (!intent) throw new Error(`No such payment_intent: ${id}`);
    if (PAID.includes(intent.status)) throw new Error(`payment_intent ${id} is ${intent.status}`);
    return intent;
  }

  // --- events -------------------------------------------------------------------------

  events(): SandboxEvent[] {
    return [...this.log];
  }

  event(id: string): SandboxEvent | undefined {
    return this.log.find((candidate) => candidate.id === id);
  }

  private record(type: string, object: SandboxEventObject): SandboxEvent {
    const event = newEvent(type, object);
    this.log.push(event);
    return event;
  }

  // --- charges, refunds and disputes --------------------------------------------------

  /**
   * A refund, by the API (`POST /v1/refunds`) or in the Dashboard: either way Stripe sends
   * `charge.refunded` with the charge's refunded total; a Dashboard refund is known to the
   * product only from it.
   */
  refund(params: Record<string, unknown>): DashboardRefund {
    const { refund, charge } = this.charges.refund(
      this.intents.get(String(params.payment_intent ?? '')),
      params,
    );
    return { refund, charge, event: this.record('charge.refunded', charge) };
  }

  openDispute(params: Record<string, unknown>): DisputeChange {
    const dispute = this.charges.openDispute(this.intents.get(String(params.payment_intent ?? '')), params);
    return { dispute, event: this.record('charge.dispute.created', dispute) };
  }

  closeDispute(id: string, params: Record<string, unknown>): DisputeChange {
    const dispute = this.charges.closeDispute(id, params);
    return { dispute, event: this.record('charge.dispute.closed', dispute) };
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

  /** The API requests of one operation so far, in order (every operation when none is named). */
  requests(operation?: SandboxOperation): SandboxRequest[] {
    return this.requestLog.filter((entry) => !operation || entry.operation === operation).map((entry) => ({ ...entry }));
  }

  logRequest(entry: SandboxRequest): void {
    this.requestLog.push(entry);
    // A long run (`npm start`, a benchmark) keeps the latest only (trimmed now and then): tests look at a few.
    if (this.requestLog.length > 2 * REQUEST_LOG_SIZE) this.requestLog.splice(0, this.requestLog.length - REQUEST_LOG_SIZE);
  }

  /** GET /v1/payment_intents/{id} requests for one intent, faulted ones included. */
  retrievals(id: string): number {
    return this.retrievalsById.get(id) ?? 0;
  }

  countRetrieval(id: string): void {
    this.retrievalsById.set(id, this.retrievals(id) + 1);
  }
}
