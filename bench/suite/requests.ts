/** What the suite sends: new reservations, lookups of stored ones, signed webhooks that pay them. */
import { randomUUID } from 'node:crypto';
import { Connection } from 'mysql2/promise';
import { signStripePayload } from '@app/sandbox';
import { insertReservations, succeededEvent } from '../support';
import { SECRET, SUPPLIERS } from './config';
import { Call } from './types';

/** Reservations written straight to the database: lookups read any of them, each webhook pays the next unpaid one. */
export class ReservationPool {
  private readonly codes: string[] = [];
  private paid = 0;
  /** Webhooks sent again for want of unpaid reservations: should stay 0, or the figures mean little. */
  repeated = 0;

  constructor(
    private readonly db: Connection,
    private readonly supplierOf?: (i: number) => string,
  ) {}

  async keepUnpaid(count: number): Promise<void> {
    const missing = count - (this.codes.length - this.paid);
    if (missing > 0) this.codes.push(...(await insertReservations(this.db, missing, this.supplierOf, this.codes.length)));
  }

  lookup(): Call {
    const code = this.codes[Math.floor(Math.random() * this.codes.length)];
    return { method: 'GET', path: `/api/v1/reservations/${code}?email=ana%40example.com`, headers: { accept: 'application/json' } };
  }

  webhook(): Call {
    if (this.paid >= this.codes.length) this.repeated++;
    const i = this.paid++ % this.codes.length;
    const body = JSON.stringify(succeededEvent(this.codes[i], i));
    return {
      method: 'POST',
      path: '/api/v1/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': signStripePayload(body, SECRET) },
      body,
    };
  }
}

/** A valid new reservation (every supplier rents CDMR in EUR at both offices), ~60 days ahead, 4 days. */
export function createCall(): Call {
  const n = Math.floor(Math.random() * 1e9);
  const day = (ahead: number) => `${new Date(Date.now() + ahead * 86_400_000).toISOString().slice(0, 10)}T10:00`;
  const offices = ['MAD-T4', 'BCN-T1'];
  const body = {
    supplier_code: SUPPLIERS[n % 3],
    pickup: { office_code: offices[n % 2], at: day(57 + (n % 7)) },
    dropoff: { office_code: offices[(n >> 1) % 2], at: day(61 + (n % 7)) },
    car_category: 'CDMR',
    customer: { first_name: 'Ana', last_name: 'Pérez', email: `bench+${n}@example.com`, phone: '+34600111222' },
    price: { amount: 15_000 + (n % 10_000), currency: 'EUR' },
  };
  const headers = { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': randomUUID() };
  return { method: 'POST', path: '/api/v1/reservations', headers, body: JSON.stringify(body) };
}
