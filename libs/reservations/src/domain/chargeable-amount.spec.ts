import { ReservationRuleError } from '../reservation.errors';
import { checkChargeableAmount, MAXIMUM_CHARGE_AMOUNT, MINIMUM_CHARGE_AMOUNTS } from './chargeable-amount';

function codeOf(amount: number, currency: string): string | undefined {
  try {
    checkChargeableAmount(amount, currency);
    return undefined;
  } catch (error) {
    return error instanceof ReservationRuleError ? `${error.code} ${error.field}` : 'UNEXPECTED';
  }
}

describe('chargeable amounts (Stripe’s rules)', () => {
  it('takes at most 99,999,999 minor units, in every currency', () => {
    expect(MAXIMUM_CHARGE_AMOUNT).toBe(99_999_999);
    for (const currency of ['EUR', 'JPY', 'KWD', 'ISK', 'XYZ']) {
      expect(codeOf(99_999_900, currency)).toBeUndefined();
      expect(codeOf(100_000_000, currency)).toBe('PRICE.AMOUNT_TOO_LARGE price.amount');
    }
    expect(codeOf(99_999_999, 'EUR')).toBeUndefined();
  });

  it('refuses less than Stripe’s published minimum charge of the currency', () => {
    const minimums: [string, number][] = [
      ['USD', 50], ['EUR', 50], ['GBP', 30], ['CHF', 50], ['PLN', 200], ['BRL', 50], ['JPY', 50], ['HUF', 17_500], ['MXN', 1000], ['THB', 1000], ['CZK', 1500],
    ];
    for (const [currency, minimum] of minimums) {
      expect(MINIMUM_CHARGE_AMOUNTS.get(currency)).toBe(minimum);
      expect(codeOf(minimum, currency)).toBeUndefined();
      expect(codeOf(minimum - 1, currency)).toBe('PRICE.AMOUNT_BELOW_MINIMUM price.amount');
    }
    // No published minimum of its own (Stripe converts it to the settlement currency): any positive amount.
    expect(codeOf(1, 'SEK')).toBe('PRICE.AMOUNT_BELOW_MINIMUM price.amount');
    expect(codeOf(1, 'KRW')).toBeUndefined();
  });

  it('takes any whole amount of a zero-decimal currency', () => {
    for (const amount of [50, 51, 999, 12_345]) expect(codeOf(amount, 'JPY')).toBeUndefined();
    for (const amount of [1, 7, 1001]) expect(codeOf(amount, 'KRW')).toBeUndefined();
  });

  it('needs the last digit 0 in three-decimal currencies', () => {
    for (const currency of ['BHD', 'JOD', 'KWD', 'OMR', 'TND']) {
      expect(codeOf(5120, currency)).toBeUndefined();
      expect(codeOf(5124, currency)).toBe('PRICE.AMOUNT_TOO_PRECISE price.amount');
    }
  });

  it('needs whole units, sent with two decimals, in ISK and UGX; HUF and TWD charge two decimals', () => {
    for (const currency of ['ISK', 'UGX']) {
      expect(codeOf(500, currency)).toBeUndefined();
      expect(codeOf(550, currency)).toBe('PRICE.AMOUNT_TOO_PRECISE price.amount');
    }
    expect(codeOf(17_545, 'HUF')).toBeUndefined();
    expect(codeOf(80_045, 'TWD')).toBeUndefined();
  });
});
