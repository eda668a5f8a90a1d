import fc from 'fast-check';
import { DateTime } from 'luxon';
import request from 'supertest';
import { LOCATIONS, SUPPLIERS } from '@app/catalog/testing';
import { aCreateBody, aKey, CreateBody } from '../support/builders';
import { startTestApp, TestApp } from '../support/test-app';
import { DATABASE_KINDS } from '../support/test-database';

const zoneOf = (office: string) => LOCATIONS.find((location) => location.code === office)!.timeZone;
const text = (max: number) =>
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: max })
    // eslint-disable-next-line no-control-regex -- names with control characters are refused: not valid input
    .filter((value) => /\S/.test(value) && !/[\u0000-\u001f\u007f-\u009f]/.test(value) && [...value].length <= max && value.length <= max);

/** Any body the API must accept: every supplier, its active offices, categories and currencies. */
const validBody: fc.Arbitrary<CreateBody> = fc
  .constantFrom(...SUPPLIERS)
  .chain((supplier) => {
    const offices = supplier.offices.filter((office) => office.active !== false).map((office) => office.code);
    return fc.record({
      supplier: fc.constant(supplier.code),
      pickupOffice: fc.constantFrom(...offices),
      dropoffOffice: fc.constantFrom(...offices),
      category: fc.constantFrom(...supplier.carCategories),
      currency: fc.constantFrom(...supplier.currencies),
      startInDays: fc.integer({ min: 2, max: 360 }),
      startMinute: fc.integer({ min: 0, max: 24 * 60 - 1 }),
      lengthHours: fc.integer({ min: 3, max: 89 * 24 }),
      firstName: text(100),
      lastName: text(100),
      // From the highest of the seeded currencies' Stripe minimums (PLN 2.00) to Stripe's maximum.
      amount: fc.integer({ min: 200, max: 99_999_999 }),
    });
  })
  .map((v) => {
    const pickup = DateTime.now()
      .setZone(zoneOf(v.pickupOffice))
      .plus({ days: v.startInDays })
      .startOf('day')
      .plus({ minutes: v.startMinute });
    const dropoff = pickup.plus({ hours: v.lengthHours }).setZone(zoneOf(v.dropoffOffice));
    return {
      supplier_code: v.supplier,
      pickup: { office_code: v.pickupOffice, at: pickup.toFormat("yyyy-MM-dd'T'HH:mm") },
      dropoff: { office_code: v.dropoffOffice, at: dropoff.toFormat("yyyy-MM-dd'T'HH:mm") },
      car_category: v.category,
      customer: { first_name: v.firstName, last_name: v.lastName, email: 'someone@example.com', phone: '+442071234567' },
      price: { amount: v.amount, currency: v.currency },
    };
  });

type Breaker = [string, (body: CreateBody) => unknown, string, string];

/** One rule broken at a time, with the code and field the answer must name. */
const BREAKERS: Breaker[] = [
  ['unknown supplier', (b) => ({ ...b, supplier_code: 'NOPE' }), 'RESERVATION.SUPPLIER_NOT_FOUND', 'supplier_code'],
  ['unknown office', (b) => ({ ...b, pickup: { ...b.pickup, office_code: 'NOPE-1' } }), 'RESERVATION.OFFICE_NOT_FOUND', 'pickup.office_code'],
  ['unknown category', (b) => ({ ...b, car_category: 'QQQQ' }), 'RESERVATION.CAR_CATEGORY_NOT_FOUND', 'car_category'],
  ['currency not accepted', (b) => ({ ...b, price: { ...b.price, currency: 'JPY' } }), 'RESERVATION.CURRENCY_NOT_ACCEPTED', 'price.currency'],
  ['pickup in the past', (b) => ({ ...b, pickup: { ...b.pickup, at: '2020-01-01T10:00' } }), 'RESERVATION.PICKUP_TOO_SOON', 'pickup.at'],
  ['dropoff equals pickup', (b) => ({ ...b, dropoff: { ...b.dropoff, office_code: b.pickup.office_code, at: b.pickup.at } }), 'RESERVATION.DROPOFF_NOT_AFTER_PICKUP', 'dropoff.at'],
  ['bad time format', (b) => ({ ...b, dropoff: { ...b.dropoff, at: b.dropoff.at.replace('T', ' ') } }), 'RESERVATION.LOCAL_TIME_FORMAT', 'dropoff.at'],
  ['no such date', (b) => ({ ...b, pickup: { ...b.pickup, at: '2027-02-30T10:00' } }), 'RESERVATION.LOCAL_TIME_INVALID', 'pickup.at'],
  ['unknown field', (b) => ({ ...b, status: 'PAID' }), 'REQUEST.UNKNOWN_FIELD', 'status'],
  ['missing price', (b) => ({ ...b, price: undefined }), 'REQUEST.FIELD_REQUIRED', 'price'],
  ['negative amount', (b) => ({ ...b, price: { ...b.price, amount: -5 } }), 'PRICE.AMOUNT_INVALID', 'price.amount'],
  ['amount too large', (b) => ({ ...b, price: { ...b.price, amount: 100_000_000 } }), 'PRICE.AMOUNT_TOO_LARGE', 'price.amount'],
  ['amount below Stripe’s minimum', (b) => ({ ...b, price: { ...b.price, amount: 29 } }), 'PRICE.AMOUNT_BELOW_MINIMUM', 'price.amount'],
  ['pickup over a year ahead', (b) => ({ ...b, pickup: { ...b.pickup, at: '2099-06-15T12:00' } }), 'RESERVATION.PICKUP_TOO_FAR', 'pickup.at'],
  ['bad e-mail', (b) => ({ ...b, customer: { ...b.customer, email: 'not-an-email' } }), 'CUSTOMER.EMAIL_INVALID', 'customer.email'],
  ['name too long', (b) => ({ ...b, customer: { ...b.customer, last_name: 'x'.repeat(101) } }), 'CUSTOMER.NAME_TOO_LONG', 'customer.last_name'],
  ['control character in a name', (b) => ({ ...b, customer: { ...b.customer, first_name: `${b.customer.first_name}\u0007` } }), 'CUSTOMER.NAME_INVALID', 'customer.first_name'],
  ['bad phone', (b) => ({ ...b, customer: { ...b.customer, phone: '+0123' } }), 'CUSTOMER.PHONE_INVALID', 'customer.phone'],
];

describe.each(DATABASE_KINDS)('properties of POST /api/v1/reservations on %s', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => {
    await t.close();
  });

  it('any valid body round-trips: created, then read back field for field', async () => {
    await fc.assert(
      fc.asyncProperty(validBody, async (body) => {
        const created = await request(t.server).post('/api/v1/reservations').set('Idempotency-Key', aKey()).send(body);
        expect(created.status).toBe(202);
        const read = await request(t.server)
          .get(`/api/v1/reservations/${created.body.reservation_code}`)
          .query({ email: body.customer.email })
          .expect(200);
        expect(read.body).toMatchObject({
          supplier_code: body.supplier_code,
          pickup: body.pickup,
          dropoff: body.dropoff,
          car_category: body.car_category,
          customer: body.customer,
          price: body.price,
          status: 'CREATED',
        });
      }),
      { numRuns: 40 },
    );
  });

  it('any body with one rule broken is refused with that rule’s code and field, and writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(validBody, fc.constantFrom(...BREAKERS), async (body, [, breakRule, code, field]) => {
        const before = Number((await t.dataSource.query('SELECT COUNT(*) AS n FROM reservations'))[0].n);
        const response = await request(t.server).post('/api/v1/reservations').set('Idempotency-Key', aKey()).send(breakRule(body) as object);
        expect(response.status).toBe(422);
        expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ code, field })]));
        const after = Number((await t.dataSource.query('SELECT COUNT(*) AS n FROM reservations'))[0].n);
        expect(after).toBe(before);
      }),
      { numRuns: 60 },
    );
  });

  it('the example body of the SPEC is valid', async () => {
    await request(t.server).post('/api/v1/reservations').set('Idempotency-Key', aKey()).send(aCreateBody()).expect(202);
  });
});
