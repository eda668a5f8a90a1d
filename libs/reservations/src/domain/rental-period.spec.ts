import { ReservationRuleError } from '../reservation.errors';
import { checkRentalPeriod, resolveLocalTime } from './rental-period';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    return error instanceof ReservationRuleError ? error.code : 'UNEXPECTED';
  }
}

describe('local times', () => {
  it('reads the wall-clock time in the office zone', () => {
    expect(resolveLocalTime('pickup.at', '2027-03-01T10:00', 'Europe/Madrid').instant.toISOString()).toBe(
      '2027-03-01T09:00:00.000Z',
    );
    expect(resolveLocalTime('pickup.at', '2027-07-01T10:00', 'America/New_York').instant.toISOString()).toBe(
      '2027-07-01T14:00:00.000Z',
    );
  });

  it('refuses a time skipped by the spring daylight-saving change', () => {
    // Europe/Madrid jumps from 02:00 to 03:00 on 2027-03-28.
    expect(codeOf(() => resolveLocalTime('pickup.at', '2027-03-28T02:30', 'Europe/Madrid'))).toBe(
      'RESERVATION.LOCAL_TIME_INVALID',
    );
    expect(codeOf(() => resolveLocalTime('pickup.at', '2027-03-28T03:30', 'Europe/Madrid'))).toBeUndefined();
  });

  it('refuses dates that do not exist and other shapes', () => {
    for (const bad of [
      '2027-02-30T10:00',
      '2027-13-01T10:00',
      '2027-03-01T24:00',
      '2027-03-01T24:30',
      '2027-03-01T10:00:00',
      '2027-03-01 10:00',
    ]) {
      expect(codeOf(() => resolveLocalTime('pickup.at', bad, 'Europe/Madrid'))).toBe(
        'RESERVATION.LOCAL_TIME_INVALID',
      );
    }
  });
});

describe('rental period', () => {
  const now = new Date('2027-03-01T08:00:00Z');
  const at = (local: string, zone = 'Europe/Madrid') => resolveLocalTime('x', local, zone);

  it('needs the pickup at least one hour ahead, judged in the office time zone', () => {
    // 09:59 Madrid is 08:59 UTC: 59 minutes ahead.
    expect(codeOf(() => checkRentalPeriod(at('2027-03-01T09:59'), at('2027-03-02T10:00'), now))).toBe(
      'RESERVATION.PICKUP_TOO_SOON',
    );
    expect(
      codeOf(() => checkRentalPeriod(at('2027-03-01T10:00'), at('2027-03-02T10:00'), now)),
    ).toBeUndefined();
    // 08:30 in Lisbon (UTC+0) is only 30 minutes ahead, though 08:30 "looks" later than 08:00.
    expect(
      codeOf(() => checkRentalPeriod(at('2027-03-01T08:30', 'Europe/Lisbon'), at('2027-03-02T10:00'), now)),
    ).toBe('RESERVATION.PICKUP_TOO_SOON');
  });

  it('needs the dropoff after the pickup, across time zones', () => {
    // Dropoff 10:30 Lisbon is 10:30 UTC; pickup 11:00 Madrid is 10:00 UTC: after.
    expect(
      codeOf(() => checkRentalPeriod(at('2027-03-02T11:00'), at('2027-03-02T10:30', 'Europe/Lisbon'), now)),
    ).toBeUndefined();
    // Dropoff 10:30 Madrid is 09:30 UTC: before a pickup at 10:00 UTC.
    expect(codeOf(() => checkRentalPeriod(at('2027-03-02T11:00'), at('2027-03-02T10:30'), now))).toBe(
      'RESERVATION.DROPOFF_NOT_AFTER_PICKUP',
    );
    expect(codeOf(() => checkRentalPeriod(at('2027-03-02T11:00'), at('2027-03-02T11:00'), now))).toBe(
      'RESERVATION.DROPOFF_NOT_AFTER_PICKUP',
    );
  });

  it('allows at most 90 days of rental', () => {
    expect(
      codeOf(() => checkRentalPeriod(at('2027-04-01T10:00'), at('2027-06-30T10:00'), now)),
    ).toBeUndefined();
    expect(codeOf(() => checkRentalPeriod(at('2027-04-01T10:00'), at('2027-06-30T10:01'), now))).toBe(
      'RESERVATION.RENTAL_TOO_LONG',
    );
  });

  it('counts the 90 days on the wall clock across the autumn change: 90 days are 90 days and an hour elapsed', () => {
    // Europe/Madrid goes back from 03:00 to 02:00 on 2027-10-31.
    expect(
      codeOf(() => checkRentalPeriod(at('2027-08-15T10:00'), at('2027-11-13T10:00'), now)),
    ).toBeUndefined();
    expect(codeOf(() => checkRentalPeriod(at('2027-08-15T10:00'), at('2027-11-13T10:01'), now))).toBe(
      'RESERVATION.RENTAL_TOO_LONG',
    );
  });

  it('counts the 90 days on the wall clock across the spring change: 90 days and 59 minutes are too long', () => {
    // Europe/Madrid jumps from 02:00 to 03:00 on 2027-03-28: 10:59 is 90 days less one minute elapsed.
    expect(
      codeOf(() => checkRentalPeriod(at('2027-03-10T10:00'), at('2027-06-08T10:00'), now)),
    ).toBeUndefined();
    expect(codeOf(() => checkRentalPeriod(at('2027-03-10T10:00'), at('2027-06-08T10:59'), now))).toBe(
      'RESERVATION.RENTAL_TOO_LONG',
    );
  });

  it('compares the two offices’ local times as the customer reads them', () => {
    // Lisbon is an hour behind Madrid: 90 days on the clocks, 90 days and an hour elapsed.
    expect(
      codeOf(() => checkRentalPeriod(at('2027-04-01T10:00'), at('2027-06-30T10:00', 'Europe/Lisbon'), now)),
    ).toBeUndefined();
    expect(
      codeOf(() => checkRentalPeriod(at('2027-04-01T10:00'), at('2027-06-30T10:01', 'Europe/Lisbon'), now)),
    ).toBe('RESERVATION.RENTAL_TOO_LONG');
  });

  it('takes a pickup at most 365 days ahead, on the pickup office’s calendar', () => {
    // Now is 09:00 in Madrid on 2027-03-01; 365 days later is 2028-02-29 (a leap year).
    expect(
      codeOf(() => checkRentalPeriod(at('2028-02-29T09:00'), at('2028-03-02T10:00'), now)),
    ).toBeUndefined();
    expect(codeOf(() => checkRentalPeriod(at('2028-02-29T09:01'), at('2028-03-02T10:00'), now))).toBe(
      'RESERVATION.PICKUP_TOO_FAR',
    );
    // Now is 03:00 in New York: its year ahead ends at 03:00 on its own clock.
    expect(
      codeOf(() =>
        checkRentalPeriod(
          at('2028-02-29T03:00', 'America/New_York'),
          at('2028-03-02T10:00', 'America/New_York'),
          now,
        ),
      ),
    ).toBeUndefined();
    expect(
      codeOf(() =>
        checkRentalPeriod(
          at('2028-02-29T03:01', 'America/New_York'),
          at('2028-03-02T10:00', 'America/New_York'),
          now,
        ),
      ),
    ).toBe('RESERVATION.PICKUP_TOO_FAR');
  });

  it('refuses a pickup in year 9999 west of UTC, whose instant is in year 10000', () => {
    const pickup = at('9999-12-31T22:00', 'America/New_York');
    expect(pickup.instant.getUTCFullYear()).toBe(10000);
    expect(codeOf(() => checkRentalPeriod(pickup, at('9999-12-31T23:00', 'America/New_York'), now))).toBe(
      'RESERVATION.PICKUP_TOO_FAR',
    );
  });
});
