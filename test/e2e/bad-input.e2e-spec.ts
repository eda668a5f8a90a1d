import { Controller, Module, Param, Post } from '@nestjs/common';
import Stripe from 'stripe';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { aCreateBody, aKey } from '../support/builders';
import { startTestApp, TestApp } from '../support/test-app';
import { DATABASE_KINDS } from '../support/test-database';

const ADMIN_TOKEN = 'bad-input-admin-token-0123456789';
const PROBE_TABLE = 'bad_input_probe';

/**
 * Writes a row the database refuses, inside a transaction that first writes a good one: a
 * stand-in for a request value that slipped past validation, to prove what the client then
 * sees. The SQL runs against the real database.
 */
@Controller('test/database-refusal')
class DatabaseRefusalController {
  constructor(private readonly dataSource: DataSource) {}

  @Post(':what')
  async refuse(@Param('what') what: string): Promise<void> {
    const bad: Record<string, [string, unknown]> = {
      too_long: ['name', 'x'.repeat(50)],
      out_of_range: ['n', 99_999_999_999],
      bad_datetime: ['at', '10000-01-01 00:00:00'],
      bad_integer: ['n', 'not a number'],
      bad_key: ['id', 'not an integer key'],
    };
    const [column, value] = bad[what];
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO ${PROBE_TABLE} (name) VALUES ('good')`);
      await manager.query(`INSERT INTO ${PROBE_TABLE} (${column}) VALUES (?)`, [value]);
    });
  }
}

@Module({ controllers: [DatabaseRefusalController] })
class DatabaseRefusalModule {}

/** Arrays nested `depth` deep in an otherwise valid body; well under the 16 KiB body limit. */
const deeplyNested = (depth: number) => JSON.stringify({ ...aCreateBody(), extra: 0 }).replace('"extra":0', `"extra":${'['.repeat(depth)}${']'.repeat(depth)}`);

describe.each(DATABASE_KINDS)('malformed and oversized input on %s', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(kind, { env: { ADMIN_API_TOKEN: ADMIN_TOKEN }, imports: [DatabaseRefusalModule] });
    await t.dataSource.query(
      `CREATE TABLE ${PROBE_TABLE} (id INTEGER PRIMARY KEY ${kind === 'mysql' ? 'AUTO_INCREMENT' : ''}, name VARCHAR(10), n INT, at DATETIME)`,
    );
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    await t.reset();
  });

  const reservations = async () => Number((await t.dataSource.query('SELECT COUNT(*) AS n FROM reservations'))[0].n);
  const create = (body: unknown) => request(t.server).post('/api/v1/reservations').set('Idempotency-Key', aKey()).send(body as object);
  const createRaw = (json: string) =>
    request(t.server).post('/api/v1/reservations').set('Idempotency-Key', aKey()).set('Content-Type', 'application/json').send(json);
  const admin = (path: string, json: string) =>
    request(t.server)
      .post(`/api/v1/admin/reservations/K7M2Q9XD/${path}`)
      .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
      .set('Content-Type', 'application/json')
      .send(json);
  const expectProblem = (response: request.Response, status: number, code: string) => {
    expect({ status: response.status, type: response.headers['content-type'], code: response.body.code }).toEqual({
      status,
      type: expect.stringMatching(/^application\/problem\+json/),
      code,
    });
  };

  describe('JSON nested thousands of levels deep', () => {
    it('is refused at the body parser with 400 REQUEST.TOO_DEEP, before the idempotency fingerprint', async () => {
      for (const depth of [33, 2_000, 7_000]) {
        expectProblem(await createRaw(deeplyNested(depth)), 400, 'REQUEST.TOO_DEEP');
      }
      const objects = `{"a":${'{"a":'.repeat(2_500)}1${'}'.repeat(2_501)}`;
      expectProblem(await createRaw(objects), 400, 'REQUEST.TOO_DEEP');
      expect(await reservations()).toBe(0);
    });

    it('is refused on the webhook route too, even correctly signed', async () => {
      const payload = `{"id":"evt_deep","type":"payment_intent.succeeded","data":${'['.repeat(7_000)}${']'.repeat(7_000)}}`;
      const signature = new Stripe('sk_test_signing_only').webhooks.generateTestHeaderString({ payload, secret: 'whsec_tests_secret' });
      const response = await request(t.server)
        .post('/api/v1/webhooks/stripe')
        .set('Content-Type', 'application/json')
        .set('Stripe-Signature', signature)
        .send(payload);
      expectProblem(response, 400, 'REQUEST.TOO_DEEP');
    });

    it('leaves ordinary nesting alone: 32 levels is accepted by the parser', async () => {
      // Refused by validation (an unknown field), not by the parser.
      const response = await createRaw(deeplyNested(31));
      expectProblem(response, 422, 'REQUEST.VALIDATION_FAILED');
      expect(response.body.errors).toEqual([expect.objectContaining({ field: 'extra', code: 'REQUEST.UNKNOWN_FIELD' })]);
    });
  });

  describe('lengths counted as the database counts them (code points)', () => {
    const customer = aCreateBody().customer;

    it('refuses names padded with variation selectors beyond 100 characters: 422 CUSTOMER.NAME_TOO_LONG', async () => {
      // validator.js's isLength does not count a selector that follows a character: these are "100" and "51" long to it.
      for (const padded of ['a\uFE0F'.repeat(100), 'é\uFE0E'.repeat(51)]) {
        for (const field of ['first_name', 'last_name'] as const) {
          const response = await create(aCreateBody({ customer: { ...customer, [field]: padded } }));
          expectProblem(response, 422, 'REQUEST.VALIDATION_FAILED');
          expect(response.body.errors).toEqual([expect.objectContaining({ field: `customer.${field}`, code: 'CUSTOMER.NAME_TOO_LONG' })]);
        }
      }
      expect(await reservations()).toBe(0);
    });

    it('accepts 100 characters outside the BMP (200 UTF-16 units) and stores them whole', async () => {
      const name = '𝕏'.repeat(100);
      const created = await create(aCreateBody({ customer: { ...customer, first_name: name, last_name: `Ana${'\uFE0F'.repeat(97)}` } })).expect(202);
      const [row] = await t.dataSource.query('SELECT customer_first_name AS name FROM reservations WHERE code = ?', [created.body.reservation_code]);
      expect(row.name).toBe(name);
    });

    it('refuses a refund reason over 200 characters, variation selectors included', async () => {
      const response = await admin('refund', JSON.stringify({ lock_version: 1, reason: 'ab\uFE0F'.repeat(70) }));
      expectProblem(response, 422, 'REQUEST.VALIDATION_FAILED');
      expect(response.body.errors).toEqual([expect.objectContaining({ field: 'reason', code: 'REFUND.REASON_INVALID' })]);
    });
  });

  it('refuses a pickup in year 9999 west of UTC (year 10000 in UTC): 422, nothing stored', async () => {
    const response = await create(
      aCreateBody({
        pickup: { office_code: 'JFK-T4', at: '9999-12-31T22:00' },
        dropoff: { office_code: 'LAX-AP', at: '9999-12-31T23:00' },
        price: { amount: 50000, currency: 'USD' },
      }),
    );
    expectProblem(response, 422, 'RESERVATION.PICKUP_TOO_FAR');
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'pickup.at' })]);
    expect(await reservations()).toBe(0);
  });

  describe('a value the database refuses is a 422 with a precise code, never a 500 or SQL', () => {
    const cases: [string, string, (typeof DATABASE_KINDS)[number][]][] = [
      ['too_long', 'REQUEST.VALUE_TOO_LONG', ['mysql']],
      ['out_of_range', 'REQUEST.VALUE_OUT_OF_RANGE', ['mysql']],
      ['bad_datetime', 'REQUEST.VALUE_NOT_STORABLE', ['mysql']],
      ['bad_integer', 'REQUEST.VALUE_NOT_STORABLE', ['mysql']],
      ['bad_key', 'REQUEST.VALUE_NOT_STORABLE', ['sqlite', 'mysql']],
    ];
    it.each(cases.filter(([, , kinds]) => kinds.includes(kind)))('%s: %s', async (what, code) => {
      const response = await request(t.server).post(`/api/v1/test/database-refusal/${what}`);
      expectProblem(response, 422, code);
      expect(JSON.stringify(response.body)).not.toMatch(/INSERT|bad_input_probe|ER_|SQLITE|QueryFailedError/);
      // The transaction rolled back: the good row written before the refused one is gone too.
      expect(Number((await t.dataSource.query(`SELECT COUNT(*) AS n FROM ${PROBE_TABLE}`))[0].n)).toBe(0);
    });
  });

  describe('__proto__ and constructor keys are unknown fields, at any depth', () => {
    const body = JSON.stringify(aCreateBody());
    const cases: [string, string, string][] = [
      ['top-level __proto__', body.replace('{', '{"__proto__":{"status":"PAID"},'), '__proto__'],
      ['top-level constructor', body.replace('{', '{"constructor":{"prototype":{"x":1}},'), 'constructor'],
      ['nested __proto__', body.replace('"customer":{', '"customer":{"__proto__":{"vip":true},'), 'customer.__proto__'],
      ['nested constructor', body.replace('"price":{', '"price":{"constructor":1,'), 'price.constructor'],
    ];

    it.each(cases)('%s on the create route: 422 REQUEST.UNKNOWN_FIELD naming the path', async (_name, json, field) => {
      const response = await createRaw(json);
      expectProblem(response, 422, 'REQUEST.VALIDATION_FAILED');
      expect(response.body.errors).toEqual([expect.objectContaining({ field, code: 'REQUEST.UNKNOWN_FIELD' })]);
      expect(await reservations()).toBe(0);
    });

    it('on the admin bodies too', async () => {
      for (const [path, json, field] of [
        ['refund', '{"lock_version":1,"reason":"No car","__proto__":{"x":1}}', '__proto__'],
        ['supplier-booking/retry', '{"lock_version":1,"constructor":{}}', 'constructor'],
      ]) {
        const response = await admin(path, json);
        expectProblem(response, 422, 'REQUEST.VALIDATION_FAILED');
        expect(response.body.errors).toEqual([expect.objectContaining({ field, code: 'REQUEST.UNKNOWN_FIELD' })]);
      }
    });
  });
});
