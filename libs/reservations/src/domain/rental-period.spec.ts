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
    for (const bad of ['2027-02-30T10:00', '2027-13-01T10:00', '2027-03-01T24:30', '2027-03-01T10:00:00', '2027-03-01 10:00']) {
      expect(codeOf(() => resolveLocalTime('pickup.at', bad, 'Europe/Madrid'))).toBe('RESERVATION.LOCAL_TIME_INVALID');
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
    expect(codeOf(() => checkRentalPeriod(at('2027-03-01T10:00'), at('2027-03-02T10:00'), now))).toBeUndefined();
    // 08:30 in Lisbon (UTC+0) is only 30 minutes ahead, though 08:30 "looks" later than 08:00.
    expect(codeOf(() => checkRentalPeriod(at('2027-03-01T08:30', 'Europe/Lisbon'), at('2027-03-02T10:00'), now))).toBe(
      'RESERVATION.PICKUP_TOO_SOON',
    );
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
    expect(codeOf(() => checkRentalPeriod(at('2027-04-01T10:00'), at('2027-06-30T10:00'), now))).toBeUndefined();
    expect(codeOf(() => checkRentalPeriod(at('2027-04-01T10:00'), at('2027-06-30T10:01'), now))).toBe(
      'RESERVATION.RENTAL_TOO_LONG',
    );
  });
});
