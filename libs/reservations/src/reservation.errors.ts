import { ChangedConcurrentlyError, ConflictError, DomainError, NotFoundError, RuleViolationError } from '@app/core';
import { ReservationStatus } from './domain/reservation-status';

/** A rule of the create request broken; `code` and `field` say which. */
export class ReservationRuleError extends RuleViolationError {
  constructor(
    readonly code: string,
    field: string,
    message: string,
  ) {
    super(message, { field });
  }
}

export const RULES = {
  supplierNotFound: (code: string) =>
    new ReservationRuleError('RESERVATION.SUPPLIER_NOT_FOUND', 'supplier_code', `There is no supplier ${code}.`),
  supplierInactive: (code: string) =>
    new ReservationRuleError('RESERVATION.SUPPLIER_INACTIVE', 'supplier_code', `Supplier ${code} takes no reservations now.`),
  officeNotFound: (field: string, office: string) =>
    new ReservationRuleError('RESERVATION.OFFICE_NOT_FOUND', field, `There is no office ${office}.`),
  officeNotOfSupplier: (field: string, office: string, supplier: string) =>
    new ReservationRuleError(
      'RESERVATION.OFFICE_NOT_OF_SUPPLIER',
      field,
      `Office ${office} does not belong to supplier ${supplier}.`,
    ),
  officeInactive: (field: string, office: string) =>
    new ReservationRuleError('RESERVATION.OFFICE_INACTIVE', field, `Office ${office} is closed for reservations.`),
  carCategoryNotFound: (category: string) =>
    new ReservationRuleError('RESERVATION.CAR_CATEGORY_NOT_FOUND', 'car_category', `There is no car category ${category}.`),
  carCategoryNotOffered: (category: string, supplier: string) =>
    new ReservationRuleError(
      'RESERVATION.CAR_CATEGORY_NOT_OFFERED',
      'car_category',
      `Supplier ${supplier} does not offer car category ${category}.`,
    ),
  currencyNotAccepted: (currency: string, supplier: string, accepted: string[]) =>
    new ReservationRuleError(
      'RESERVATION.CURRENCY_NOT_ACCEPTED',
      'price.currency',
      `Supplier ${supplier} does not accept ${currency}; it accepts ${accepted.join(', ')}.`,
    ),
  localTimeInvalid: (field: string, at: string, timeZone: string) =>
    new ReservationRuleError(
      'RESERVATION.LOCAL_TIME_INVALID',
      field,
      `${at} is not a valid local time in ${timeZone} (no such date, or skipped by a daylight-saving change).`,
    ),
  pickupTooSoon: (minimumHours: number) =>
    new ReservationRuleError(
      'RESERVATION.PICKUP_TOO_SOON',
      'pickup.at',
      `The pickup must be at least ${minimumHours} h from now, in the pickup office's time zone.`,
    ),
  pickupTooFar: (maximumDays: number) =>
    new ReservationRuleError(
      'RESERVATION.PICKUP_TOO_FAR',
      'pickup.at',
      `The pickup must be at most ${maximumDays} days from now, in the pickup office's time zone.`,
    ),
  dropoffNotAfterPickup: () =>
    new ReservationRuleError('RESERVATION.DROPOFF_NOT_AFTER_PICKUP', 'dropoff.at', 'The dropoff must be after the pickup.'),
  rentalTooLong: (maximumDays: number) =>
    new ReservationRuleError(
      'RESERVATION.RENTAL_TOO_LONG',
      'dropoff.at',
      `The dropoff must be at most ${maximumDays} days after the pickup.`,
    ),
  amountTooLarge: (maximum: number) =>
    new ReservationRuleError('PRICE.AMOUNT_TOO_LARGE', 'price.amount', `The amount must be at most ${maximum} minor units.`),
  amountBelowMinimum: (currency: string, minimum: number) =>
    new ReservationRuleError(
      'PRICE.AMOUNT_BELOW_MINIMUM',
      'price.amount',
      `The card processor charges at least ${minimum} minor units of ${currency}.`,
    ),
  amountTooPrecise: (currency: string, step: number) =>
    new ReservationRuleError(
      'PRICE.AMOUNT_TOO_PRECISE',
      'price.amount',
      `Amounts in ${currency} must be a multiple of ${step} minor units: the card processor cannot charge a finer one.`,
    ),
};

/** Code and e-mail do not match a reservation; the same answer whichever is wrong. */
export class ReservationNotFoundError extends NotFoundError {
  readonly code = 'RESERVATION.NOT_FOUND';
  constructor() {
    super('No reservation matches this code and e-mail.');
  }
}

/** Another writer changed the reservation since it was read (optimistic lock). */
export class ReservationChangedConcurrentlyError extends ChangedConcurrentlyError {
  readonly code = 'RESERVATION.CHANGED_CONCURRENTLY';
  constructor(code: string) {
    super(`Reservation ${code} was changed by someone else; reload and decide again.`, { retryAfterSeconds: 1 });
  }
}

/** The lifecycle forbids this move; callers that may see late events check `canTransitionTo` first. */
export class IllegalTransitionError extends DomainError {
  readonly code = 'RESERVATION.ILLEGAL_TRANSITION';
  readonly kind = 'conflict' as const;
  constructor(from: ReservationStatus, to: ReservationStatus) {
    super(`A reservation cannot go from ${from} to ${to}.`);
  }
}

/** An operator's action that the reservation's state does not allow (retry now, refund). */
export class ReservationActionNotAllowedError extends ConflictError {
  readonly code = 'RESERVATION.ACTION_NOT_ALLOWED';
}

/** A booking run counted out of turn: not the next one, or the reservation no longer awaits the supplier. */
export class BookingRunNotDueError extends ConflictError {
  readonly code = 'RESERVATION.BOOKING_RUN_NOT_DUE';
  constructor(code: string, attempt: number) {
    super(`Booking run ${attempt} of reservation ${code} is not due.`);
  }
}
