import { registerAs } from '@nestjs/config';
import { InvalidEnvironmentError, parseEnvironment } from '@app/core';

/** Stripe API version this code was written against; the SDK sends it with every call. */
export const STRIPE_API_VERSION = '2026-10-28.endive';

export const stripeConfig = registerAs('stripe', () => {
  const env = parseEnvironment();
  // No key: the built-in Stripe-compatible sandbox, so that `npm start` needs no account.
  const sandbox = env.SANDBOX ?? !env.STRIPE_SECRET_KEY;
  const sandboxPort = env.SANDBOX_STRIPE_PORT ?? 12111;
  const webhookSecret = env.STRIPE_WEBHOOK_SECRET ?? (sandbox ? 'whsec_sandbox_secret' : undefined);
  if (!webhookSecret) throw new InvalidEnvironmentError('Invalid configuration:\n  STRIPE_WEBHOOK_SECRET: required with a real Stripe key');
  return {
    sandbox,
    sandboxPort,
    secretKey: env.STRIPE_SECRET_KEY ?? 'sk_test_sandbox',
    webhookSecret,
    apiBase: env.STRIPE_API_BASE ?? (sandbox ? `http://127.0.0.1:${sandboxPort}` : 'https://api.stripe.com'),
    timeoutMs: env.STRIPE_TIMEOUT_MS ?? 2000,
  };
});

export const paymentsConfig = registerAs('payments', () => {
  const env = parseEnvironment();
  return {
    paymentTtlMinutes: env.RESERVATION_PAYMENT_TTL_MINUTES ?? 30,
    reconcileAfterMinutes: env.PAYMENT_RECONCILE_AFTER_MINUTES ?? 10,
    jobsIntervalMs: env.PAYMENT_JOBS_INTERVAL_MS ?? 60_000,
    capture: {
      /** `immediate`: charged at once; `after_supplier_confirmation`: held, captured once booked (ADR 0015). */
      mode: env.PAYMENT_CAPTURE ?? 'immediate',
      /** How long before Stripe's `capture_before` the deadline policy acts. */
      marginHours: env.PAYMENT_CAPTURE_MARGIN_HOURS ?? 12,
      /** At the deadline, unbooked: take the money and keep booking (`capture`), or give the hold up (`release`). */
      deadlinePolicy: env.PAYMENT_CAPTURE_DEADLINE_POLICY ?? 'capture',
    },
  };
});

export type StripeConfig = ReturnType<typeof stripeConfig>;
export type PaymentsConfig = ReturnType<typeof paymentsConfig>;
