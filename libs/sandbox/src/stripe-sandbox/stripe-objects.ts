import { createHmac, randomBytes } from 'node:crypto';

/** Stripe's API version the sandbox imitates (the one the product pins). */
export const SANDBOX_API_VERSION = '2026-10-28.endive';

export type IntentStatus =
  'requires_payment_method' | 'processing' | 'requires_capture' | 'succeeded' | 'canceled';

/** `automatic` charges when the customer pays; `manual` only holds the amount until a capture. */
export type CaptureMethod = 'automatic' | 'manual';

export interface SandboxPaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
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
  capture_method: CaptureMethod;
  latest_charge: string | null;
}

export interface SandboxCharge {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  captured: boolean;
  created: number;
  currency: string;
  disputed: boolean;
  livemode: false;
  metadata: Record<string, string>;
  paid: true;
  payment_intent: string;
  /** `capture_before` only on a held (uncaptured) card payment, as Stripe shows it. */
  payment_method_details: { type: 'card'; card: { capture_before?: number } };
  refunded: boolean;
  status: 'succeeded';
}

export interface SandboxRefund {
  id: string;
  object: 'refund';
  amount: number;
  charge: string;
  currency: string;
  payment_intent: string;
  status: 'succeeded';
  reason: string | null;
  metadata: Record<string, string>;
  created: number;
}

export type DisputeStatus = 'needs_response' | 'won' | 'lost';

export interface SandboxDispute {
  id: string;
  object: 'dispute';
  amount: number;
  charge: string;
  created: number;
  currency: string;
  evidence_details: { due_by: number; has_evidence: false; past_due: false; submission_count: 0 };
  is_charge_refundable: false;
  livemode: false;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: string;
  status: DisputeStatus;
}

/** What an event is about: `payment_intent.*`, `charge.*` and `charge.dispute.*` events. */
export type SandboxEventObject = SandboxPaymentIntent | SandboxCharge | SandboxDispute;

export interface SandboxEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  livemode: false;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  type: string;
  data: { object: SandboxEventObject };
}

export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: {
      type: string;
      message: string;
      code?: string;
      param?: string;
      payment_intent?: SandboxPaymentIntent;
    },
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
  const captureMethod = params.capture_method ?? 'automatic';
  if (captureMethod !== 'automatic' && captureMethod !== 'manual') {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      param: 'capture_method',
      message: 'Invalid capture_method: must be one of automatic or manual',
    });
  }
  const id = stripeId('pi_');
  const methods = params.automatic_payment_methods as { enabled?: string } | undefined;
  return {
    id,
    object: 'payment_intent',
    amount,
    amount_capturable: 0,
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
    capture_method: captureMethod,
    latest_charge: null,
  };
}

/** An event about `object`, which it carries as it is now (a copy: later changes do not reach it). */
export function newEvent(type: string, object: SandboxEventObject): SandboxEvent {
  return {
    id: stripeId('evt_'),
    object: 'event',
    api_version: SANDBOX_API_VERSION,
    created: unixNow(),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object: structuredClone(object) },
  };
}

/** `Stripe-Signature` as Stripe makes it: `t=<unix>,v1=<HMAC-SHA256 of "t.payload">`. */
export function signStripePayload(payload: string, secret: string, timestamp = unixNow()): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

/** Stripe's 404 `resource_missing` for an object it does not know; `param` names where the id came from. */
export function noSuch(
  object: 'payment_intent' | 'charge' | 'dispute',
  id: string,
  param: string,
): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    param,
    message: `No such ${object}: '${id}'`,
  });
}

/** Stripe's 400 for an operation the intent's status forbids, which carries the intent as Stripe's does. */
export function unexpectedState(intent: SandboxPaymentIntent, message: string): StripeApiError {
  return new StripeApiError(400, {
    type: 'invalid_request_error',
    code: 'payment_intent_unexpected_state',
    message,
    payment_intent: structuredClone(intent),
  });
}

/** An optional amount parameter: `fallback` when it is absent, else a positive integer (Stripe's 400 if not). */
export function amountParam(value: unknown, param: string, fallback: number): number {
  if (value === undefined) return fallback;
  const amount = Number(value);
  if (!Number.isInteger(amount) || amount < 1) {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      param,
      message: 'Invalid positive integer',
    });
  }
  return amount;
}
