import { SandboxHttpServer } from '../http-server';
import { Fault, SandboxOperation } from './stripe-faults';
import { SandboxEvent, SandboxPaymentIntent, SandboxRefund } from './stripe-objects';
import { StripeRoutes } from './stripe-routes';
import { IntentChange, StripeStore } from './stripe-store';
import { WebhookSender } from './webhook-sender';

export type { Fault, SandboxOperation } from './stripe-faults';

export interface CustomerActionResult {
  payment_intent: SandboxPaymentIntent;
  event: SandboxEvent;
  delivery: { status_code: number | null } | null;
}

export interface StripeSandboxOptions {
  /** The secret the product verifies `Stripe-Signature` with (STRIPE_WEBHOOK_SECRET). */
  webhookSecret: string;
  webhookUrl?: string;
  logger?: { log(m: string): void; warn(m: string): void };
}

/**
 * A Stripe-compatible server for development and tests: the subset of the API the product
 * uses (PaymentIntents and refunds: form-encoded requests, Stripe-shaped objects and errors,
 * Idempotency-Key), the customer's card (succeed, fail, process) with webhooks signed as
 * Stripe signs them, and fault injection. State is in memory.
 *
 * This class is the face tests and `SandboxModule` use; it composes the state
 * (`StripeStore`), the HTTP routes (`StripeRoutes`) and the webhook delivery (`WebhookSender`).
 */
export class StripeSandbox {
  private readonly store = new StripeStore();
  private readonly webhooks: WebhookSender;
  private readonly routes = new StripeRoutes(this.store, this);
  private readonly http = new SandboxHttpServer((req, res) => this.routes.handle(req, res));

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

  refunds(): SandboxRefund[] {
    return this.store.refunds();
  }

  /** Stripe keeps idempotency keys for 24 hours: this is the day after, when a key is new again. */
  forgetIdempotencyKeys(): void {
    this.store.forgetIdempotencyKeys();
  }

  /** What has been refunded of an intent so far. */
  refundedAmount(paymentIntentId: string): number {
    return this.store.refundedAmount(paymentIntentId);
  }

  // --- the customer's card -----------------------------------------------------------

  succeed(id: string, options: { deliver?: boolean } = {}): Promise<CustomerActionResult> {
    return this.act(options, () => this.store.succeed(id));
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

  /** Sends one recorded event to the webhook URL; the status code, or null if nobody answered. */
  async deliver(eventId: string): Promise<number | null> {
    const event = this.store.event(eventId);
    return event ? this.webhooks.send(event) : null;
  }

  /**
   * Applies a card outcome, then delivers its event (unless `deliver: false`, for a test that
   * plays a lost webhook). The intent is copied after delivery: the result shows it as it is then,
   * after whatever the product did on that webhook.
   */
  private async act(options: { deliver?: boolean }, change: () => IntentChange): Promise<CustomerActionResult> {
    const { intent, event } = change();
    const status = options.deliver === false ? undefined : await this.deliver(event.id);
    const delivery = status === undefined ? null : { status_code: status };
    return { payment_intent: structuredClone(intent), event, delivery };
  }
}
