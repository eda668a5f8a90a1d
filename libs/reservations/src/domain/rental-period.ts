import { DateTime } from 'luxon';
import { RULES } from '../reservation.errors';

export const MINIMUM_LEAD_HOURS = 1;
/** Suppliers open their books about a year ahead (docs/adr/0011-pickup-lead-time-and-chargeable-amounts.md). */
export const MAXIMUM_LEAD_DAYS = 365;
export const MAXIMUM_RENTAL_DAYS = 90;
/** Local wall-clock time without offset, to the minute: `2027-03-01T10:00`. */
export const LOCAL_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

export interface LocalTime {
  /** As the customer gave it: the office's wall-clock time. */
  local: string;
  timeZone: string;
  /** The instant it denotes. */
  instant: Date;
}

/**
 * Reads a wall-clock time in an office's IANA zone. A time that does not exist there (a date
 * like 02-30, or one skipped when clocks go forward) is refused rather than silently shifted.
 */
export function resolveLocalTime(field: string, local: string, timeZone: string): LocalTime {
  const parsed = DateTime.fromISO(local, { zone: timeZone });
  if (!LOCAL_TIME_PATTERN.test(local) || !parsed.isValid || parsed.toFormat("yyyy-MM-dd'T'HH:mm") !== local) {
    throw RULES.localTimeInvalid(field, local, timeZone);
  }
  return { local, timeZone, instant: parsed.toJSDate() };
}

/**
 * Pickup at least an hour and at most 365 days ahead; dropoff after the pickup and at most 90
 * days later. The day limits count calendar days on the wall clock, as the customer reads
 * them: a daylight-saving change in between moves the elapsed time by an hour, not the rule.
 */
export function checkRentalPeriod(pickup: LocalTime, dropoff: LocalTime, now: Date): void {
  if (pickup.instant.getTime() < now.getTime() + MINIMUM_LEAD_HOURS * 3_600_000) {
    throw RULES.pickupTooSoon(MINIMUM_LEAD_HOURS);
  }
  const nowAtPickupOffice = DateTime.fromJSDate(now, { zone: pickup.timeZone }).setZone('utc', { keepLocalTime: true });
  if (wallClock(pickup.local) > nowAtPickupOffice.plus({ days: MAXIMUM_LEAD_DAYS })) {
    throw RULES.pickupTooFar(MAXIMUM_LEAD_DAYS);
  }
  if (dropoff.instant.getTime() <= pickup.instant.getTime()) throw RULES.dropoffNotAfterPickup();
  if (wallClock(dropoff.local) > wallClock(pickup.local).plus({ days: MAXIMUM_RENTAL_DAYS })) {
    throw RULES.rentalTooLong(MAXIMUM_RENTAL_DAYS);
  }
}

/** A local time as a wall-clock reading, free of any zone (held as UTC, which has no clock changes). */
function wallClock(local: string): DateTime {
  return DateTime.fromISO(local, { zone: 'utc' });
}
