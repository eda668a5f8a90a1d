import { RULES } from '../reservation.errors';

/**
 * What a card processor can charge, as Stripe publishes it (docs.stripe.com/currencies, read
 * 2026-12): checked when the reservation is made, so that no reservation is taken that its
 * payment could never collect. Amounts are integers in the minor unit Stripe's API expects.
 */

/** Stripe's amount field takes 8 digits for all but a few currencies (IDR, INR, and some card payments). */
export const MAXIMUM_CHARGE_AMOUNT = 99_999_999;

/**
 * Stripe's minimum charge per settlement currency, in minor units. A currency not listed has
 * no minimum of its own here: Stripe then wants the equivalent of the settlement currency's
 * minimum after conversion, which we cannot know at reservation time.
 */
export const MINIMUM_CHARGE_AMOUNTS: ReadonlyMap<string, number> = new Map(Object.entries({
  USD: 50,
  AED: 200,
  AUD: 50,
  BGN: 100,
  BRL: 50,
  CAD: 50,
  CHF: 50,
  CZK: 1500,
  DKK: 250,
  EUR: 50,
  GBP: 30,
  HKD: 400,
  HUF: 17500,
  INR: 50,
  JPY: 50,
  MXN: 1000,
  MYR: 200,
  NOK: 300,
  NZD: 50,
  PLN: 200,
  RON: 200,
  SEK: 300,
  SGD: 50,
  THB: 1000,
}));

/** The amount is the whole number of units: 500 is ¥500. Any integer can be charged. */
export const ZERO_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set([
  'BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'VND', 'VUV', 'XAF', 'XOF', 'XPF',
]);

/** Thousandths (5.124 KWD is 5124), but Stripe's partners need the last digit 0: 5120 or 5130. */
export const THREE_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

/**
 * Zero-decimal in fact, but sent with two decimals that must be 00 (5 ISK is 500). HUF and TWD
 * charge two-decimal amounts (only their payouts are whole), so they are ordinary here.
 */
export const WHOLE_UNITS_AS_TWO_DECIMALS: ReadonlySet<string> = new Set(['ISK', 'UGX']);

/** How many minor units the last digits of a chargeable amount must be a multiple of. */
export function chargeableStep(currency: string): number {
  if (THREE_DECIMAL_CURRENCIES.has(currency)) return 10;
  if (WHOLE_UNITS_AS_TWO_DECIMALS.has(currency)) return 100;
  return 1;
}

/** Refuses an amount (a positive integer in minor units) that Stripe would not charge in `currency`. */
export function checkChargeableAmount(amount: number, currency: string): void {
  if (amount > MAXIMUM_CHARGE_AMOUNT) throw RULES.amountTooLarge(MAXIMUM_CHARGE_AMOUNT);
  const minimum = MINIMUM_CHARGE_AMOUNTS.get(currency);
  if (minimum !== undefined && amount < minimum) throw RULES.amountBelowMinimum(currency, minimum);
  const step = chargeableStep(currency);
  if (amount % step !== 0) throw RULES.amountTooPrecise(currency, step);
}
