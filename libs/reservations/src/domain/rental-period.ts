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
  const parsed = LOCAL_TIME_PATTERN.test(local) ? DateTime.fromISO(local, { zone: timeZone }) : undefined;
  // luxon moves a skipped time forward, and reads 24:00 as the next day's midnight: a reading
  // other than the one given (the same day, hour and minute) did not exist there.
  if (
    !parsed?.isValid ||
    parsed.day !== Number(local.slice(8, 10)) ||
    parsed.hour !== Number(local.slice(11, 13)) ||
    parsed.minute !== Number(local.slice(14, 16))
  ) {
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
  const nowAtPickupOffice =
    now.getTime() + DateTime.fromJSDate(now, { zone: pickup.timeZone }).offset * 60_000;
  if (wallClock(pickup.local) > nowAtPickupOffice + MAXIMUM_LEAD_DAYS * DAY_MS) {
    throw RULES.pickupTooFar(MAXIMUM_LEAD_DAYS);
  }
  if (dropoff.instant.getTime() <= pickup.instant.getTime()) throw RULES.dropoffNotAfterPickup();
  if (wallClock(dropoff.local) > wallClock(pickup.local) + MAXIMUM_RENTAL_DAYS * DAY_MS) {
    throw RULES.rentalTooLong(MAXIMUM_RENTAL_DAYS);
  }
}

const DAY_MS = 86_400_000;

/**
 * A local time (`LOCAL_TIME_PATTERN`) as a wall-clock reading free of any zone: its
 * milliseconds read as UTC, where a calendar day is always 24 hours. Plain arithmetic on
 * these is wall-clock arithmetic; it replaced luxon objects, a twentieth of a create's CPU.
 */
function wallClock(local: string): number {
  return Date.parse(`${local}:00Z`);
}
