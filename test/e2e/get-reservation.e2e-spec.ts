import request from 'supertest';
import { aCreateBody, aKey } from '../support/builders';
import { startTestApp, TestApp } from '../support/test-app';
import { DATABASE_KINDS } from '../support/test-database';

describe.each(DATABASE_KINDS)('GET /api/v1/reservations/{code} on %s', (kind) => {
  let t: TestApp;
  let code: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    const created = await request(t.server)
      .post('/api/v1/reservations')
      .set('Idempotency-Key', aKey())
      .send(aCreateBody({ customer: { first_name: 'Łukasz', last_name: "O'Brien & Søn", email: 'Lukasz@Example.com', phone: '+48600111222' } }))
      .expect(202);
    code = created.body.reservation_code;
  });
  afterAll(async () => {
    await t.close();
  });

  it('returns status, progress, itinerary, price and the customer, verbatim', async () => {
    const response = await request(t.server).get(`/api/v1/reservations/${code}`).query({ email: 'Lukasz@Example.com' }).expect(200);
    expect(response.body).toMatchObject({
      reservation_code: code,
      status: 'CREATED',
      progress: { code: 'issued', payment: 'pending', supplier: 'pending' },
      pickup: { office_code: 'MAD-T4', time_zone: 'Europe/Madrid' },
      dropoff: { office_code: 'BCN-T1' },
      car_category: 'CDMR',
      price: { amount: 18950, currency: 'EUR' },
      customer: { first_name: 'Łukasz', last_name: "O'Brien & Søn" },
      payment: null,
      supplier_confirmation: null,
    });
  });

  it('accepts the code in any letter case and the e-mail in any case', async () => {
    await request(t.server).get(`/api/v1/reservations/${code.toLowerCase()}`).query({ email: 'LUKASZ@example.COM' }).expect(200);
  });

  it('answers the same 404 for a wrong e-mail, an unknown code and a malformed code (no oracle)', async () => {
    const wrongEmail = await request(t.server).get(`/api/v1/reservations/${code}`).query({ email: 'eve@example.com' }).expect(404);
    const unknown = await request(t.server).get('/api/v1/reservations/ZZZZZZZZ').query({ email: 'lukasz@example.com' }).expect(404);
    const malformed = await request(t.server).get('/api/v1/reservations/%27%20OR%201%3D1').query({ email: 'lukasz@example.com' }).expect(404);
    for (const response of [wrongEmail, unknown, malformed]) {
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.code).toBe('RESERVATION.NOT_FOUND');
      expect(response.body.detail).toBe(wrongEmail.body.detail);
    }
  });

  it('requires the e-mail', async () => {
    const response = await request(t.server).get(`/api/v1/reservations/${code}`).expect(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'email', code: 'REQUEST.FIELD_REQUIRED' })]);
  });
});
