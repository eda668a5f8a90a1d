import { DateTime } from 'luxon';
import { randomUUID } from 'node:crypto';
import type { CreateReservationInput } from '@app/reservations/testing';

export interface CreateBody {
  supplier_code: string;
  pickup: { office_code: string; at: string };
  dropoff: { office_code: string; at: string };
  car_category: string;
  customer: { first_name: string; last_name: string; email: string; phone: string };
  price: { amount: number; currency: string };
}

/** Local wall-clock time `days` ahead at `hour`:00 in the given zone, as the API expects it. */
export function localAt(days: number, zone = 'Europe/Madrid', hour = 10): string {
  return DateTime.now().setZone(zone).plus({ days }).set({ hour, minute: 0 }).toFormat("yyyy-MM-dd'T'HH:mm");
}

/** A valid create request (HERTZ, Madrid → Barcelona, 4 days from 30 days ahead); override what a test is about. */
export function aCreateBody(overrides: Partial<CreateBody> = {}): CreateBody {
  return {
    supplier_code: 'HERTZ',
    pickup: { office_code: 'MAD-T4', at: localAt(30) },
    dropoff: { office_code: 'BCN-T1', at: localAt(34) },
    car_category: 'CDMR',
    customer: { first_name: 'Ana', last_name: 'Pérez', email: 'ana@example.com', phone: '+34600111222' },
    price: { amount: 18950, currency: 'EUR' },
    ...overrides,
  };
}

export function aKey(): string {
  return `test-${randomUUID()}`;
}

/** Local wall-clock time `days` after `from` at `hour`:00 in the given zone (for tests on a fake clock). */
export function localAtFrom(from: Date, days: number, zone = 'Europe/Madrid', hour = 10): string {
  return DateTime.fromJSDate(from).setZone(zone).plus({ days }).set({ hour, minute: 0 }).toFormat("yyyy-MM-dd'T'HH:mm");
}

/**
 * A valid input of CreateReservationHandler (HERTZ, Madrid → Barcelona, 4 days from 30 days
 * after `from`, the seeded catalog); override what a test is about.
 */
export function aReservation(overrides: Partial<CreateReservationInput> = {}, options: { from?: Date } = {}): CreateReservationInput {
  const from = options.from ?? new Date();
  return {
    idempotencyKey: aKey(),
    supplierCode: 'HERTZ',
    pickup: { officeCode: 'MAD-T4', at: localAtFrom(from, 30) },
    dropoff: { officeCode: 'BCN-T1', at: localAtFrom(from, 34) },
    carCategory: 'CDMR',
    customer: { firstName: 'Ana', lastName: 'Pérez', email: 'ana@example.com', phone: '+34600111222' },
    price: { amount: 18950, currency: 'EUR' },
    ...overrides,
  };
}
