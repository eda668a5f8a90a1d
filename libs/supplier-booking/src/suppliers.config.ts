import { registerAs } from '@nestjs/config';
import { InvalidEnvironmentError, parseEnvironment } from '@app/core';

const SUPPLIER_CODES = ['HERTZ', 'BUDGET', 'EUROPCAR'] as const;

/**
 * Where and how to reach each supplier (SUPPLIER_* variables), and how hard to try. With
 * SANDBOX on (the default without a Stripe key), a supplier without a URL is served by the
 * built-in simulator of its protocol on SANDBOX_SUPPLIER_PORT (HERTZ), +1 (BUDGET), +2
 * (EUROPCAR). Outside the sandbox every URL is required.
 */
export const suppliersConfig = registerAs('suppliers', () => {
  const env = parseEnvironment();
  const sandbox = env.SANDBOX ?? !env.STRIPE_SECRET_KEY;
  const sandboxPort = env.SANDBOX_SUPPLIER_PORT ?? 12112;
  const simulated: string[] = [];
  const urlOf = (code: (typeof SUPPLIER_CODES)[number], value: string | undefined): string => {
    if (value) return value.replace(/\/+$/, '');
    if (!sandbox) throw new InvalidEnvironmentError(`Invalid configuration:\n  SUPPLIER_${code}_URL: required outside the sandbox`);
    simulated.push(code);
    return `http://127.0.0.1:${sandboxPort + SUPPLIER_CODES.indexOf(code)}`;
  };
  return {
    hertz: {
      baseUrl: urlOf('HERTZ', env.SUPPLIER_HERTZ_URL),
      user: env.SUPPLIER_HERTZ_USER ?? 'RESERVATIONS_API',
      password: env.SUPPLIER_HERTZ_PASSWORD ?? '',
    },
    budget: { baseUrl: urlOf('BUDGET', env.SUPPLIER_BUDGET_URL), apiKey: env.SUPPLIER_BUDGET_API_KEY ?? '' },
    europcar: { baseUrl: urlOf('EUROPCAR', env.SUPPLIER_EUROPCAR_URL), apiKey: env.SUPPLIER_EUROPCAR_API_KEY ?? '' },
    /** Suppliers the sandbox serves, with the port of each. */
    simulated: simulated.map((code) => ({ code, port: sandboxPort + SUPPLIER_CODES.indexOf(code as (typeof SUPPLIER_CODES)[number]) })),
    /** One HTTP call. */
    timeoutMs: env.SUPPLIER_TIMEOUT_MS ?? 5000,
    breaker: {
      /** Consecutive failures that open a supplier's circuit. */
      failures: env.SUPPLIER_BREAKER_FAILURES ?? 5,
      /** How long an open circuit refuses calls before it lets one through. */
      halfOpenAfterMs: env.SUPPLIER_BREAKER_HALF_OPEN_MS ?? 30_000,
    },
    /** RETRY_SUPPLIER_BOOKING: exponential from base to max with equal jitter, then an operator. */
    retry: {
      baseSeconds: env.SUPPLIER_RETRY_BASE_SECONDS ?? 60,
      maxSeconds: env.SUPPLIER_RETRY_MAX_SECONDS ?? 6 * 3600,
      maxAttempts: env.SUPPLIER_RETRY_MAX_ATTEMPTS ?? 48,
    },
    moneySafety: {
      ageMinutes: env.MONEY_SAFETY_AGE_MINUTES ?? 60,
      intervalMs: env.MONEY_SAFETY_INTERVAL_MS ?? 5 * 60_000,
    },
  };
});

export type SuppliersConfig = ReturnType<typeof suppliersConfig>;
