import { Inject, Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import {
  CreatePaymentIntent,
  PaymentGateway,
  PaymentGatewayRejectedError,
  PaymentGatewayUnavailableError,
  PaymentIntentSnapshot,
  PaymentIntentStatus,
  RefundSnapshot,
} from '../payment-gateway';
import { STRIPE_API_VERSION, stripeConfig, StripeConfig } from '../payments.config';

/** Stripe's error type for a key reused with other parameters; it comes without a `code`. */
export const IDEMPOTENCY_ERROR = 'idempotency_error';

/** `capture_method` as a creation may send it: left out (Stripe's default, automatic), or named. */
type CaptureMethodParameter = 'automatic' | 'manual' | undefined;
const CAPTURE_METHOD_PARAMETERS: readonly CaptureMethodParameter[] = [undefined, 'automatic', 'manual'];

/** The PaymentGateway on the official SDK; `STRIPE_API_BASE` points it at any Stripe-compatible server. */
@Injectable()
export class StripePaymentGateway extends PaymentGateway {
  private readonly stripe: Stripe;

  constructor(@Inject(stripeConfig.KEY) config: StripeConfig) {
    super();
    const base = new URL(config.apiBase);
    this.stripe = new Stripe(config.secretKey, {
      apiVersion: STRIPE_API_VERSION as Stripe.LatestApiVersion,
      host: base.hostname,
      port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
      protocol: base.protocol === 'https:' ? 'https' : 'http',
      timeout: config.timeoutMs,
      // Retries are ours to decide (the outbox), with the same idempotency key.
      maxNetworkRetries: 0,
      telemetry: false,
    });
  }

  /**
   * Stripe answers a key reused with other parameters with `idempotency_error`. `automatic` is
   * Stripe's default and is not sent, so an intent asked for before PAYMENT_CAPTURE existed is
   * asked for again with the same parameters. Should the key's first request still differ (made
   * by a build that sent `capture_method` either way), the parameters it may have carried are
   * tried in turn: under a key already used Stripe never makes a second intent, it replays the
   * first or refuses.
   */
  async createPaymentIntent(request: CreatePaymentIntent): Promise<PaymentIntentSnapshot> {
    const asked: CaptureMethodParameter = request.captureMethod === 'manual' ? 'manual' : undefined;
    let conflict: PaymentGatewayRejectedError | undefined;
    for (const captureMethod of [asked, ...CAPTURE_METHOD_PARAMETERS.filter((other) => other !== asked)]) {
      try {
        const intent = await this.call(() =>
          this.stripe.paymentIntents.create(
            {
              amount: request.amount,
              currency: request.currency.toLowerCase(),
              metadata: { reservation_code: request.reservationCode },
              automatic_payment_methods: { enabled: true },
              ...(captureMethod ? { capture_method: captureMethod } : {}),
            },
            { idempotencyKey: request.idempotencyKey },
          ),
        );
        return snapshotOf(intent);
      } catch (error) {
        if (!(error instanceof PaymentGatewayRejectedError) || error.providerCode !== IDEMPOTENCY_ERROR) throw error;
        conflict ??= error;
      }
    }
    throw new PaymentGatewayRejectedError(
      `Stripe refused the idempotency key ${request.idempotencyKey}: it was first used with other parameters ` +
        `than ${request.amount} ${request.currency} with any capture method, so Stripe neither returns that PaymentIntent nor makes another; ` +
        `find it at Stripe by its metadata reservation_code=${request.reservationCode}`,
      { cause: conflict },
      IDEMPOTENCY_ERROR,
    );
  }

  async retrievePaymentIntent(id: string, options: { charge?: boolean } = {}): Promise<PaymentIntentSnapshot> {
    const params = options.charge ? { expand: ['latest_charge'] } : undefined;
    return snapshotOf(await this.call(() => this.stripe.paymentIntents.retrieve(id, params)));
  }

  async cancelPaymentIntent(id: string, idempotencyKey: string): Promise<PaymentIntentSnapshot> {
    // Too late to cancel: it succeeded (or is cancelled already). Report what it is.
    return this.unlessUnexpectedState(id, () => this.stripe.paymentIntents.cancel(id, {}, { idempotencyKey }));
  }

  async capturePaymentIntent(id: string, idempotencyKey: string): Promise<PaymentIntentSnapshot> {
    // Captured already, cancelled or expired: what it is tells the caller.
    return this.unlessUnexpectedState(id, () => this.stripe.paymentIntents.capture(id, {}, { idempotencyKey }));
  }

  /** `request`'s intent; when Stripe answers that its state does not allow it, the intent as it is. */
  private async unlessUnexpectedState(id: string, request: () => Promise<Stripe.PaymentIntent>): Promise<PaymentIntentSnapshot> {
    try {
      return snapshotOf(await this.call(request));
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      if (cause instanceof Stripe.errors.StripeInvalidRequestError && cause.code === 'payment_intent_unexpected_state') {
        return this.retrievePaymentIntent(id);
      }
      throw error;
    }
  }

  async refundPaymentIntent(id: string, idempotencyKey: string): Promise<RefundSnapshot> {
    // No amount: Stripe refunds what is left of the captured amount, so never more than it.
    return refundSnapshotOf(await this.call(() => this.stripe.refunds.create({ payment_intent: id }, { idempotencyKey })));
  }

  async listRefunds(paymentIntentId: string): Promise<RefundSnapshot[]> {
    // One intent has few refunds (we make one); 100 is Stripe's page size limit.
    const page = await this.call(() => this.stripe.refunds.list({ payment_intent: paymentIntentId, limit: 100 }));
    return page.data.map(refundSnapshotOf);
  }

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (
        error instanceof Stripe.errors.StripeConnectionError ||
        error instanceof Stripe.errors.StripeAPIError ||
        error instanceof Stripe.errors.StripeRateLimitError ||
        (error instanceof Stripe.errors.StripeError && (error.statusCode ?? 500) >= 500)
      ) {
        throw new PaymentGatewayUnavailableError(`Stripe unavailable: ${error.message}`, { cause: error });
      }
      if (error instanceof Stripe.errors.StripeIdempotencyError) {
        throw new PaymentGatewayRejectedError(`Stripe refused: ${error.message}`, { cause: error }, IDEMPOTENCY_ERROR);
      }
      if (error instanceof Stripe.errors.StripeError) {
        throw new PaymentGatewayRejectedError(`Stripe refused: ${error.message}`, { cause: error }, error.code ?? null);
      }
      throw new PaymentGatewayUnavailableError(`Stripe call failed: ${(error as Error).message}`, { cause: error });
    }
  }
}

function snapshotOf(intent: Stripe.PaymentIntent): PaymentIntentSnapshot {
  return {
    id: intent.id,
    status: intent.status as PaymentIntentStatus,
    clientSecret: intent.client_secret ?? null,
    amount: intent.amount,
    currency: intent.currency,
    reservationCode: intent.metadata?.reservation_code ?? null,
    failureMessage: intent.last_payment_error?.message ?? null,
    captureMethod: intent.capture_method === 'manual' ? 'manual' : 'automatic',
    captureBefore: captureBeforeOf(intent),
  };
}

/** The hold's deadline, when the intent came with its charge (`expand: ['latest_charge']`). */
export function captureBeforeOf(intent: Stripe.PaymentIntent): Date | null {
  const charge = intent.latest_charge;
  const seconds = typeof charge === 'object' ? charge?.payment_method_details?.card?.capture_before : undefined;
  return typeof seconds === 'number' ? new Date(seconds * 1000) : null;
}

function refundSnapshotOf(refund: Stripe.Refund): RefundSnapshot {
  return {
    id: refund.id,
    amount: refund.amount,
    status: (refund.status ?? 'pending') as RefundSnapshot['status'],
    failureReason: refund.failure_reason ?? null,
  };
}
