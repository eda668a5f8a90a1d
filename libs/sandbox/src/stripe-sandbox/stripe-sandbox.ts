import { SandboxHttpServer } from '../http-server';
import { Fault, SandboxOperation } from './stripe-faults';
import {
  SandboxCharge,
  SandboxDispute,
  SandboxEvent,
  SandboxPaymentIntent,
  SandboxRefund,
} from './stripe-objects';
import { StripeRoutes } from './stripe-routes';
import { DisputeChange, IntentChange, SandboxRequest, StripeStore } from './stripe-store';
import { WebhookSender } from './webhook-sender';

export type { Fault, SandboxOperation } from './stripe-faults';
export type { SandboxRequest } from './stripe-store';

/** The endpoint's status code for an action's first event (null: nobody answered); null if not delivered. */
export type Delivery = { status_code: number | null } | null;

export interface CustomerActionResult {
  payment_intent: SandboxPaymentIntent;
  /** The intent's event, the first of `events`. */
  event: SandboxEvent;
  /** Every event the action sent, in order: paying a manual intent also sends `charge.succeeded`. */
  events: SandboxEvent[];
  delivery: Delivery;
}

export interface DashboardRefundResult {
  refund: SandboxRefund;
  charge: SandboxCharge;
  /** `charge.refunded`, with the charge. */
  event: SandboxEvent;
  delivery: Delivery;
}

export interface DisputeActionResult {
  dispute: SandboxDispute;
  /** `charge.dispute.created` or `charge.dispute.closed`, with the dispute. */
  event: SandboxEvent;
  delivery: Delivery;
}

export interface StripeSandboxOptions {
  /** The secret the product verifies `Stripe-Signature` with (STRIPE_WEBHOOK_SECRET). */
  webhookSecret: string;
  webhookUrl?: string;
  logger?: { log(m: string): void; warn(m: string): void };
}

/**
 * A Stripe-compatible server for development and tests: the subset of the API the product
 * uses (PaymentIntents with automatic or manual capture, charges and refunds: form-encoded
 * requests, Stripe-shaped objects and errors, Idempotency-Key), the customer's card (succeed,
 * fail, process), the bank (a hold that expires), the Dashboard (refunds, disputes), with
 * webhooks signed as Stripe signs them, and fault injection. State is in memory.
 *
 * This class is the face tests and `SandboxModule` use; it composes the state
 * (`StripeStore`), the HTTP routes (`StripeRoutes`) and the webhook delivery (`WebhookSender`).
 */
export class StripeSandbox {
  private readonly store = new StripeStore();
  private readonly webhooks: WebhookSender;
  private readonly routes = new StripeRoutes(this.store, this);
  private readonly http = new SandboxHttpServer((req, res) => this.routes.handle(req, res));
  private readonly sending = new Set<Promise<unknown>>();

  constructor(options: StripeSandboxOptions) {
    this.webhooks = new WebhookSender(options.webhookSecret, options.webhookUrl, options.logger);
  }

  setWebhookUrl(url: string): void {
    this.webhooks.setUrl(url);
  }

  start(port = 0, host = '127.0.0.1'): Promise<{ url: string; port: number }> {
    return this.http.start(port, host);
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  reset(): void {
    this.store.reset();
  }

  injectFault(fault: Fault): void {
    this.store.faults.add(fault);
  }

  clearFaults(): void {
    this.store.faults.clear();
  }

  calls(operation: SandboxOperation): number {
    return this.store.calls(operation);
  }

  /**
   * The API requests of `operation` (all of them without one), in order, each with the
   * Idempotency-Key it carried and whether it was performed, replayed, refused or faulted.
   */
  requests(operation?: SandboxOperation): SandboxRequest[] {
    return this.store.requests(operation);
  }

  /** GET /v1/payment_intents/{id} requests for one intent, faulted ones included. */
  retrievals(id: string): number {
    return this.store.retrievals(id);
  }

  paymentIntent(id: string): SandboxPaymentIntent | undefined {
    return this.store.paymentIntent(id);
  }

  paymentIntents(): SandboxPaymentIntent[] {
    return this.store.paymentIntents();
  }

  events(): SandboxEvent[] {
    return this.store.events();
  }

  charge(id: string): SandboxCharge | undefined {
    return this.store.charges.get(id);
  }

  charges(): SandboxCharge[] {
    return this.store.charges.list();
  }

  refunds(): SandboxRefund[] {
    return this.store.charges.refunds();
  }

  disputes(): SandboxDispute[] {
    return this.store.charges.disputes();
  }

  /** Stripe keeps idempotency keys for 24 hours: this is the day after, when a key is new again. */
  forgetIdempotencyKeys(): void {
    this.store.forgetIdempotencyKeys();
  }

  /** What has been refunded of an intent so far. */
  refundedAmount(paymentIntentId: string): number {
    return this.store.charges.refundedAmount(paymentIntentId);
  }

  // --- the customer's card -----------------------------------------------------------

  /**
   * The customer pays: an automatic intent succeeds, a manual one is held until `capture_before`
   * (unix seconds, 7 days from now unless told: a test can make the deadline near or past).
   */
  succeed(
    id: string,
    options: { deliver?: boolean; capture_before?: number } = {},
  ): Promise<CustomerActionResult> {
    return this.act(options, () => this.store.succeed(id, options));
  }

  fail(
    id: string,
    options: { deliver?: boolean; message?: string; decline_code?: string } = {},
  ): Promise<CustomerActionResult> {
    return this.act(options, () => this.store.fail(id, options));
  }

  process(id: string, options: { deliver?: boolean } = {}): Promise<CustomerActionResult> {
    return this.act(options, () => this.store.process(id));
  }

  // --- the bank ----------------------------------------------------------------------

  /** Nobody captured a held payment in time: the intent is canceled as `automatic`. */
  expireAuthorization(id: string, options: { deliver?: boolean } = {}): Promise<CustomerActionResult> {
    return this.act(options, () => this.store.expireAuthorization(id));
  }

  // --- the Stripe Dashboard ------------------------------------------------------------

  /** A refund by hand of what is left of the captured amount (all of it unless `amount`). */
  async refundInDashboard(
    paymentIntentId: string,
    options: { amount?: number; deliver?: boolean } = {},
  ): Promise<DashboardRefundResult> {
    const { refund, charge, event } = this.store.refund({
      payment_intent: paymentIntentId,
      amount: options.amount,
    });
    const delivery = await this.deliverAll([event], options);
    return { refund: structuredClone(refund), charge: structuredClone(charge), event, delivery };
  }

  /** The cardholder's bank disputes a captured payment (`reason` 'fraudulent', the whole amount, unless told). */
  openDispute(
    paymentIntentId: string,
    options: { reason?: string; amount?: number; deliver?: boolean } = {},
  ): Promise<DisputeActionResult> {
    const params = { payment_intent: paymentIntentId, reason: options.reason, amount: options.amount };
    return this.disputeAction(options, () => this.store.openDispute(params));
  }

  closeDispute(
    disputeId: string,
    options: { status: 'won' | 'lost'; deliver?: boolean },
  ): Promise<DisputeActionResult> {
    return this.disputeAction(options, () => this.store.closeDispute(disputeId, { status: options.status }));
  }

  // --- webhooks ------------------------------------------------------------------------

  /** Sends one recorded event to the webhook URL; the status code, or null if nobody answered. */
  async deliver(eventId: string): Promise<number | null> {
    const event = this.store.event(eventId);
    return event ? this.webhooks.send(event) : null;
  }

  /** Sends events one after the other, as Stripe's order is what a product's handler may rely on. */
  async deliverInOrder(events: SandboxEvent[]): Promise<(number | null)[]> {
    const sending = this.sendInOrder(events);
    this.sending.add(sending);
    try {
      return await sending;
    } finally {
      this.sending.delete(sending);
    }
  }

  /**
   * Resolves once every webhook sent so far has been delivered (or given up on). The API answers
   * before its webhooks are delivered (capture, cancel): a test waits for them here, and a test
   * that ends does not leave them to arrive in the next one.
   */
  async webhooksDelivered(): Promise<void> {
    await Promise.all([...this.sending]);
  }

  private async sendInOrder(events: SandboxEvent[]): Promise<(number | null)[]> {
    const statuses: (number | null)[] = [];
    for (const event of events) statuses.push(await this.webhooks.send(event));
    return statuses;
  }

  /**
   * Applies a card (or bank) outcome, then delivers its events. The intent is copied after
   * delivery: the result shows it as it is then, after whatever the product did on the webhooks.
   */
  private async act(
    options: { deliver?: boolean },
    change: () => IntentChange,
  ): Promise<CustomerActionResult> {
    const { intent, events } = change();
    const delivery = await this.deliverAll(events, options);
    return { payment_intent: structuredClone(intent), event: events[0], events, delivery };
  }

  private async disputeAction(
    options: { deliver?: boolean },
    change: () => DisputeChange,
  ): Promise<DisputeActionResult> {
    const { dispute, event } = change();
    const delivery = await this.deliverAll([event], options);
    return { dispute: structuredClone(dispute), event, delivery };
  }

  /** Delivers `events` in order unless `deliver: false` (a test that plays a lost webhook). */
  private async deliverAll(events: SandboxEvent[], options: { deliver?: boolean }): Promise<Delivery> {
    if (options.deliver === false) return null;
    const [first] = await this.deliverInOrder(events);
    return { status_code: first };
  }
}
