import { createHmac, randomBytes } from 'node:crypto';

/** Stripe's API version the sandbox imitates (the one the product pins). */
export const SANDBOX_API_VERSION = '2026-10-28.endive';

export type IntentStatus = 'requires_payment_method' | 'processing' | 'succeeded' | 'canceled';

export interface SandboxPaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_received: number;
  currency: string;
  status: IntentStatus;
  client_secret: string;
  metadata: Record<string, string>;
  automatic_payment_methods: { enabled: boolean } | null;
  description: string | null;
  created: number;
  livemode: false;
  last_payment_error: { type: string; code: string; decline_code: string; message: string } | null;
  canceled_at: number | null;
  cancellation_reason: string | null;
  latest_charge: string | null;
}

export interface SandboxEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  livemode: false;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  type: string;
  data: { object: SandboxPaymentIntent };
}

export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { type: string; message: string; code?: string; param?: string; payment_intent?: SandboxPaymentIntent },
  ) {
    super(body.message);
  }
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function stripeId(prefix: string, length = 24): string {
  return prefix + [...randomBytes(length)].map((byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join('');
}

export const unixNow = () => Math.floor(Date.now() / 1000);

/** Validates form parameters as Stripe does and builds a new PaymentIntent. */
export function newPaymentIntent(params: Record<string, unknown>): SandboxPaymentIntent {
  const amount = Number(params.amount);
  if (!/^\d+$/.test(String(params.amount ?? '')) || amount < 1) {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      param: 'amount',
      message: 'Invalid positive integer',
    });
  }
  if (typeof params.currency !== 'string' || !/^[a-zA-Z]{3}$/.test(params.currency)) {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      param: 'currency',
      message: 'Invalid currency',
    });
  }
  const id = stripeId('pi_');
  const methods = params.automatic_payment_methods as { enabled?: string } | undefined;
  return {
    id,
    object: 'payment_intent',
    amount,
    amount_received: 0,
    currency: params.currency.toLowerCase(),
    status: 'requires_payment_method',
    client_secret: `${id}_secret_${stripeId('', 16)}`,
    metadata: (params.metadata as Record<string, string>) ?? {},
    automatic_payment_methods: methods ? { enabled: methods.enabled === 'true' } : null,
    description: typeof params.description === 'string' ? params.description : null,
    created: unixNow(),
    livemode: false,
    last_payment_error: null,
    canceled_at: null,
    cancellation_reason: null,
    latest_charge: null,
  };
}

export function newEvent(type: string, intent: SandboxPaymentIntent): SandboxEvent {
  return {
    id: stripeId('evt_'),
    object: 'event',
    api_version: SANDBOX_API_VERSION,
    created: unixNow(),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object: structuredClone(intent) },
  };
}

/** `Stripe-Signature` as Stripe makes it: `t=<unix>,v1=<HMAC-SHA256 of "t.payload">`. */
export function signStripePayload(payload: string, secret: string, timestamp = unixNow()): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

export interface SandboxRefund {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  payment_intent: string;
  status: 'succeeded';
  reason: string | null;
  metadata: Record<string, string>;
  created: number;
}

/** A refund of a succeeded intent, never more than what is left of it (Stripe's rules and codes). */
/** Stripe's 404 `resource_missing` for an intent it does not know; `param` names where the id came from. */
export function noSuchPaymentIntent(id: string, param: string): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    param,
    message: `No such payment_intent: '${id}'`,
  });
}

export function newRefund(
  intent: SandboxPaymentIntent | undefined,
  refunded: number,
  params: Record<string, unknown>,
): SandboxRefund {
  if (!intent) {
    throw noSuchPaymentIntent(String(params.payment_intent), 'payment_intent');
  }
  if (intent.status !== 'succeeded') {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      code: 'charge_not_refundable',
      message: `This PaymentIntent has a status of ${intent.status}; only a succeeded one can be refunded.`,
    });
  }
  const left = intent.amount_received - refunded;
  if (left <= 0) {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      code: 'charge_already_refunded',
      message: `Charge for ${intent.id} has already been refunded.`,
    });
  }
  const amount = params.amount === undefined ? left : Number(params.amount);
  if (!Number.isInteger(amount) || amount < 1) {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      param: 'amount',
      message: 'Invalid positive integer',
    });
  }
  if (amount > left) {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      code: 'amount_too_large',
      param: 'amount',
      message: `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`,
    });
  }
  return {
    id: stripeId('re_'),
    object: 'refund',
    amount,
    currency: intent.currency,
    payment_intent: intent.id,
    status: 'succeeded',
    reason: typeof params.reason === 'string' ? params.reason : null,
    metadata: (params.metadata as Record<string, string>) ?? {},
    created: unixNow(),
  };
}
