import { DateTime } from 'luxon';
import { randomUUID } from 'node:crypto';

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
