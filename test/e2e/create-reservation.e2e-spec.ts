import { DateTime } from 'luxon';
import request from 'supertest';
import { CatalogRepository } from '@app/catalog';
import { fingerprint, IdempotencyKey } from '@app/core';
import { aCreateBody, aKey, localAt } from '../support/builders';
import { startTestApp, TestApp } from '../support/test-app';
import { DATABASE_KINDS } from '../support/test-database';

describe.each(DATABASE_KINDS)('POST /api/v1/reservations on %s', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    await t.reset();
  });

  const keys = () => t.dataSource.getRepository(IdempotencyKey);

  const post = (body: unknown, key: string | null = aKey()) => {
    const call = request(t.server).post('/api/v1/reservations').set('Content-Type', 'application/json');
    return key === null ? call.send(body as object) : call.set('Idempotency-Key', key).send(body as object);
  };

  it('reserves: 202, Location, CREATED with progress, history and lock version 1', async () => {
    const response = await post(aCreateBody()).expect(202);

    const code = response.body.reservation_code as string;
    expect(code).toMatch(/^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$/);
    expect(response.headers.location).toBe(`/api/v1/reservations/${code}`);
    expect(response.body).toMatchObject({
      status: 'CREATED',
      progress: { code: 'issued', payment: 'pending', supplier: 'pending' },
      payment: null,
      supplier_code: 'HERTZ',
      pickup: { office_code: 'MAD-T4', time_zone: 'Europe/Madrid' },
      price: { amount: 18950, currency: 'EUR' },
      customer: { last_name: 'Pérez' },
    });
    const [row] = await t.dataSource.query('SELECT id, status, lock_version FROM reservations WHERE code = ?', [code]);
    expect(Number(row.lock_version)).toBe(1);
    const history = await t.dataSource.query(
      'SELECT from_status, to_status, cause FROM reservation_status_history WHERE reservation_id = ?',
      [row.id],
    );
    expect(history).toEqual([{ from_status: null, to_status: 'CREATED', cause: 'reservation created' }]);
  });

  it('stores the instant of the office-local time in UTC', async () => {
    const body = aCreateBody({
      supplier_code: 'HERTZ',
      pickup: { office_code: 'JFK-T4', at: '2027-07-01T10:00' },
      dropoff: { office_code: 'LAX-AP', at: '2027-07-08T10:00' },
      price: { amount: 50000, currency: 'USD' },
    });
    const response = await post(body).expect(202);
    expect(response.body.pickup).toEqual({
      office_code: 'JFK-T4',
      at: '2027-07-01T10:00',
      time_zone: 'America/New_York',
      at_utc: '2027-07-01T14:00:00.000Z',
    });
    expect(response.body.dropoff.at_utc).toBe('2027-07-08T17:00:00.000Z');
  });

  describe('refuses, with 422, a code and the field', () => {
    const cases: [string, () => object, string, string][] = [
      ['an unknown supplier', () => aCreateBody({ supplier_code: 'SIXT' }), 'RESERVATION.SUPPLIER_NOT_FOUND', 'supplier_code'],
      [
        'an unknown office',
        () => aCreateBody({ pickup: { office_code: 'XXX-99', at: localAt(30) } }),
        'RESERVATION.OFFICE_NOT_FOUND',
        'pickup.office_code',
      ],
      [
        "another supplier's office",
        () => aCreateBody({ dropoff: { office_code: 'WAW-AP', at: localAt(34, 'Europe/Warsaw') } }),
        'RESERVATION.OFFICE_NOT_OF_SUPPLIER',
        'dropoff.office_code',
      ],
      [
        'an inactive office',
        () => aCreateBody({ pickup: { office_code: 'MAN-AP', at: localAt(30, 'Europe/London') } }),
        'RESERVATION.OFFICE_INACTIVE',
        'pickup.office_code',
      ],
      ['an unknown car category', () => aCreateBody({ car_category: 'ZZZZ' }), 'RESERVATION.CAR_CATEGORY_NOT_FOUND', 'car_category'],
      [
        'a category the supplier does not offer',
        () => aCreateBody({ car_category: 'MBMR' }),
        'RESERVATION.CAR_CATEGORY_NOT_OFFERED',
        'car_category',
      ],
      [
        'a currency the supplier does not accept',
        () => aCreateBody({ price: { amount: 100, currency: 'PLN' } }),
        'RESERVATION.CURRENCY_NOT_ACCEPTED',
        'price.currency',
      ],
      [
        'a pickup less than an hour ahead',
        () => aCreateBody({ pickup: { office_code: 'MAD-T4', at: localAt(0, 'Europe/Madrid', 0) } }),
        'RESERVATION.PICKUP_TOO_SOON',
        'pickup.at',
      ],
      [
        'a dropoff before the pickup',
        () => aCreateBody({ dropoff: { office_code: 'BCN-T1', at: localAt(29) } }),
        'RESERVATION.DROPOFF_NOT_AFTER_PICKUP',
        'dropoff.at',
      ],
      [
        'a rental over 90 days',
        () => aCreateBody({ dropoff: { office_code: 'BCN-T1', at: localAt(121) } }),
        'RESERVATION.RENTAL_TOO_LONG',
        'dropoff.at',
      ],
      [
        'a pickup more than 365 days ahead',
        () => aCreateBody({ pickup: { office_code: 'MAD-T4', at: localAt(366) }, dropoff: { office_code: 'BCN-T1', at: localAt(368) } }),
        'RESERVATION.PICKUP_TOO_FAR',
        'pickup.at',
      ],
      [
        'a rental of 90 days and 59 minutes across the spring clock change',
        () => {
          const pickup = pickupBefore(nextClockChange('spring'));
          return aCreateBody({ pickup: { office_code: 'MAD-T4', at: pickup }, dropoff: { office_code: 'BCN-T1', at: wallClockPlus(pickup, { days: 90, minutes: 59 }) } });
        },
        'RESERVATION.RENTAL_TOO_LONG',
        'dropoff.at',
      ],
      [
        'a local time skipped by daylight saving',
        () => aCreateBody({ pickup: { office_code: 'MAD-T4', at: '2027-03-28T02:30' }, dropoff: { office_code: 'BCN-T1', at: '2027-03-30T10:00' } }),
        'RESERVATION.LOCAL_TIME_INVALID',
        'pickup.at',
      ],
      ['a time with an offset', () => aCreateBody({ pickup: { office_code: 'MAD-T4', at: '2027-03-01T10:00+01:00' } }), 'RESERVATION.LOCAL_TIME_FORMAT', 'pickup.at'],
      ['an unknown field', () => ({ ...aCreateBody(), discount: 100 }), 'REQUEST.UNKNOWN_FIELD', 'discount'],
      [
        'an unknown nested field',
        () => ({ ...aCreateBody(), customer: { ...aCreateBody().customer, vip: true } }),
        'REQUEST.UNKNOWN_FIELD',
        'customer.vip',
      ],
      ['a missing customer', () => ({ ...aCreateBody(), customer: undefined }), 'REQUEST.FIELD_REQUIRED', 'customer'],
      ['a customer that is not an object', () => ({ ...aCreateBody(), customer: 'Ana' }), 'REQUEST.OBJECT_EXPECTED', 'customer'],
      ['a bad e-mail', () => aCreateBody({ customer: { ...aCreateBody().customer, email: 'ana@' } }), 'CUSTOMER.EMAIL_INVALID', 'customer.email'],
      ['a bad phone', () => aCreateBody({ customer: { ...aCreateBody().customer, phone: '600111222' } }), 'CUSTOMER.PHONE_INVALID', 'customer.phone'],
      ['a blank name', () => aCreateBody({ customer: { ...aCreateBody().customer, first_name: '   ' } }), 'CUSTOMER.NAME_INVALID', 'customer.first_name'],
      ['a zero amount', () => aCreateBody({ price: { amount: 0, currency: 'EUR' } }), 'PRICE.AMOUNT_INVALID', 'price.amount'],
      ['a fractional amount', () => aCreateBody({ price: { amount: 189.5, currency: 'EUR' } }), 'PRICE.AMOUNT_INVALID', 'price.amount'],
      ['an amount of nine digits', () => aCreateBody({ price: { amount: 100_000_000, currency: 'EUR' } }), 'PRICE.AMOUNT_TOO_LARGE', 'price.amount'],
      ["an amount below Stripe's minimum in EUR", () => aCreateBody({ price: { amount: 49, currency: 'EUR' } }), 'PRICE.AMOUNT_BELOW_MINIMUM', 'price.amount'],
      ["an amount below Stripe's minimum in GBP", () => aCreateBody({ price: { amount: 29, currency: 'GBP' } }), 'PRICE.AMOUNT_BELOW_MINIMUM', 'price.amount'],
      ['an amount sent as a string', () => aCreateBody({ price: { amount: '18950' as unknown as number, currency: 'EUR' } }), 'PRICE.AMOUNT_INVALID', 'price.amount'],
      ['a lower-case currency', () => aCreateBody({ price: { amount: 100, currency: 'eur' } }), 'PRICE.CURRENCY_INVALID', 'price.currency'],
    ];

    it.each(cases)('%s', async (_name, body, code, field) => {
      const response = await post(body()).expect(422);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ status: 422, type: expect.stringMatching(/^urn:problem:/) });
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, code })]));
      const [{ count }] = await t.dataSource.query('SELECT COUNT(*) AS count FROM reservations');
      expect(Number(count)).toBe(0);
    });
  });

  it('counts the 90 days on the wall clock: exactly 90 days across the autumn clock change is taken', async () => {
    const pickup = pickupBefore(nextClockChange('autumn'));
    const body = aCreateBody({ pickup: { office_code: 'MAD-T4', at: pickup }, dropoff: { office_code: 'BCN-T1', at: wallClockPlus(pickup, { days: 90 }) } });
    const response = await post(body).expect(202);
    // An hour more than 90 days elapsed: the clocks went back in between.
    expect(Date.parse(response.body.dropoff.at_utc) - Date.parse(response.body.pickup.at_utc)).toBe(90 * 86_400_000 + 3_600_000);
  });

  it('takes the largest amount Stripe can charge, and a pickup 365 days ahead', async () => {
    const body = aCreateBody({
      pickup: { office_code: 'MAD-T4', at: DateTime.now().setZone('Europe/Madrid').plus({ days: 365, minutes: -5 }).toFormat("yyyy-MM-dd'T'HH:mm") },
      dropoff: { office_code: 'BCN-T1', at: localAt(367) },
      price: { amount: 99_999_999, currency: 'EUR' },
    });
    const response = await post(body).expect(202);
    expect(response.body.price).toEqual({ amount: 99_999_999, currency: 'EUR' });
  });

  it('applies Stripe’s rules to zero- and three-decimal currencies once a supplier accepts one', async () => {
    const currencies = ['JPY', 'KWD', 'ISK'];
    for (const currency of currencies) await t.dataSource.query('INSERT INTO supplier_currencies (supplier_code, currency) VALUES (?, ?)', ['HERTZ', currency]);
    t.app.get(CatalogRepository).invalidate();
    try {
      const refused: [number, string, string][] = [
        [49, 'JPY', 'PRICE.AMOUNT_BELOW_MINIMUM'],
        [5124, 'KWD', 'PRICE.AMOUNT_TOO_PRECISE'],
        [550, 'ISK', 'PRICE.AMOUNT_TOO_PRECISE'],
      ];
      for (const [amount, currency, code] of refused) {
        const response = await post(aCreateBody({ price: { amount, currency } })).expect(422);
        expect(response.body.errors).toEqual([expect.objectContaining({ field: 'price.amount', code })]);
      }
      const [{ count }] = await t.dataSource.query('SELECT COUNT(*) AS count FROM reservations');
      expect(Number(count)).toBe(0);
      for (const [amount, currency] of [[12_345, 'JPY'], [5120, 'KWD'], [500, 'ISK']] as const) {
        await post(aCreateBody({ price: { amount, currency } })).expect(202);
      }
    } finally {
      await t.dataSource.query(`DELETE FROM supplier_currencies WHERE currency IN ('JPY', 'KWD', 'ISK')`);
      t.app.get(CatalogRepository).invalidate();
    }
  });

  it('refuses malformed JSON with 400 and a body over 16 KiB with 413, never a 500', async () => {
    const malformed = await request(t.server)
      .post('/api/v1/reservations')
      .set('Idempotency-Key', aKey())
      .set('Content-Type', 'application/json')
      .send('{"supplier_code": "HERTZ",')
      .expect(400);
    expect(malformed.body).toMatchObject({ code: 'REQUEST.MALFORMED', status: 400 });
    expect(malformed.headers['x-request-id']).toBeDefined();

    const huge = aCreateBody({ customer: { ...aCreateBody().customer, first_name: 'x'.repeat(17 * 1024) } });
    const tooLarge = await post(huge).expect(413);
    expect(tooLarge.body).toMatchObject({ code: 'REQUEST.TOO_LARGE', status: 413 });

    for (const body of ['[]', '"text"', 'null', '42']) {
      const response = await request(t.server)
        .post('/api/v1/reservations')
        .set('Idempotency-Key', aKey())
        .set('Content-Type', 'application/json')
        .send(body);
      expect([400, 422]).toContain(response.status);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('never shows a stack trace or SQL in an error', async () => {
    const response = await post({ ...aCreateBody(), supplier_code: "HERTZ'; DROP TABLE reservations; --" }).expect(422);
    const text = JSON.stringify(response.body);
    expect(text).not.toMatch(/at .*\.(ts|js):\d+|SELECT|INSERT|QueryFailedError/);
  });

  describe('Idempotency-Key', () => {
    it('is required: 400 when missing, too short, too long or not visible ASCII', async () => {
      expect((await post(aCreateBody(), null).expect(400)).body.code).toBe('IDEMPOTENCY.KEY_MISSING');
      expect((await post(aCreateBody(), 'short').expect(400)).body.code).toBe('IDEMPOTENCY.KEY_INVALID');
      expect((await post(aCreateBody(), 'k'.repeat(256)).expect(400)).body.code).toBe('IDEMPOTENCY.KEY_INVALID');
      expect((await post(aCreateBody(), 'with space key').expect(400)).body.code).toBe('IDEMPOTENCY.KEY_INVALID');
      await post(aCreateBody(), 'k'.repeat(8)).expect(202);
      await post(aCreateBody(), 'k'.repeat(255)).expect(202);
    });

    it('replays the stored response for the same key and body, with Idempotent-Replayed', async () => {
      const key = aKey();
      const first = await post(aCreateBody(), key).expect(202);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      // Key order does not make another body.
      const { price, ...rest } = aCreateBody();
      const second = await post({ price, ...rest }, key).expect(202);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.headers.location).toBe(first.headers.location);
      expect(second.body).toEqual(first.body);
      const [{ count }] = await t.dataSource.query('SELECT COUNT(*) AS count FROM reservations');
      expect(Number(count)).toBe(1);
    });

    it('refuses the same key with another body: 422', async () => {
      const key = aKey();
      await post(aCreateBody(), key).expect(202);
      const response = await post(aCreateBody({ price: { amount: 1, currency: 'EUR' } }), key).expect(422);
      expect(response.body.code).toBe('IDEMPOTENCY.KEY_REUSED');
    });

    it('forgets a key whose request was refused, so that the fixed request may use it', async () => {
      const key = aKey();
      await post(aCreateBody({ car_category: 'ZZZZ' }), key).expect(422);
      const retry = await post(aCreateBody(), key).expect(202);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
    });

    it('after a crash between commit and answer, a retry returns the same reservation', async () => {
      const key = aKey();
      const first = await post(aCreateBody(), key).expect(202);
      // What a process killed after its commit leaves behind: the key still IN_FLIGHT, its lock run out.
      await keys().update(
        { key },
        { state: 'IN_FLIGHT', responseBody: null, responseStatus: null, lockedUntil: new Date(Date.now() - 1000) },
      );
      const retry = await post(aCreateBody(), key).expect(202);
      expect(retry.body.reservation_code).toBe(first.body.reservation_code);
      const [{ count }] = await t.dataSource.query('SELECT COUNT(*) AS count FROM reservations');
      expect(Number(count)).toBe(1);
    });

    it('answers 409 with Retry-After while the first request with the key is in flight', async () => {
      const key = aKey();
      const body = aCreateBody();
      await keys().insert({
        scope: 'POST /api/v1/reservations',
        key,
        requestHash: fingerprint(body),
        state: 'IN_FLIGHT',
        lockedUntil: new Date(Date.now() + 60_000),
        createdAt: new Date(),
        expiresAt: new Date(Date.now() + 86_400_000),
      });
      const response = await post(body, key).expect(409);
      expect(response.body.code).toBe('IDEMPOTENCY.REQUEST_IN_FLIGHT');
      expect(response.headers['retry-after']).toBe('1');
      const [{ count }] = await t.dataSource.query('SELECT COUNT(*) AS count FROM reservations');
      expect(Number(count)).toBe(0);
    });
  });
});

/** The next daylight-saving change in Madrid, at least three days ahead: the first day whose UTC offset differs from the day before. */
function nextClockChange(season: 'spring' | 'autumn'): DateTime {
  let day = DateTime.now().setZone('Europe/Madrid').startOf('day').plus({ days: 3 }).set({ hour: 12 });
  for (;;) {
    const next = day.plus({ days: 1 });
    if (next.offset !== day.offset && (next.offset > day.offset) === (season === 'spring')) return next;
    day = next;
  }
}

/** A pickup 89 days before `change` (or two days from now, when that is later): its 90-day rental spans the change. */
function pickupBefore(change: DateTime): string {
  const earliest = DateTime.now().setZone('Europe/Madrid').plus({ days: 2 });
  const pickup = DateTime.max(change.minus({ days: 89 }), earliest);
  return pickup.set({ hour: 10, minute: 0 }).toFormat("yyyy-MM-dd'T'HH:mm");
}

/** The wall-clock time `duration` after `local`, whatever the clocks do in between. */
function wallClockPlus(local: string, duration: { days: number; minutes?: number }): string {
  return DateTime.fromISO(local, { zone: 'utc' }).plus(duration).toFormat("yyyy-MM-dd'T'HH:mm");
}
