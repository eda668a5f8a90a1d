import request from 'supertest';
import { aCreateBody, aKey } from '../support/builders';
import { startTestApp, TestApp } from '../support/test-app';

/** The default of `npm start`: no Stripe key, so the API serves its own sandbox and pays through it. */
describe('the built-in Stripe sandbox (no Stripe key)', () => {
  let t: TestApp;
  const apiPort = 39_000 + (process.pid % 1000);
  const sandboxPort = 40_000 + (process.pid % 1000);
  const api = `http://127.0.0.1:${apiPort}`;

  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      env: {
        SANDBOX: '',
        STRIPE_SECRET_KEY: '',
        STRIPE_WEBHOOK_SECRET: '',
        STRIPE_API_BASE: '',
        PORT: String(apiPort),
        HOST: '127.0.0.1',
        SANDBOX_STRIPE_PORT: String(sandboxPort),
      },
    });
    await t.app.listen(apiPort, '127.0.0.1');
  });
  afterAll(async () => {
    await t.close();
  });

  it('walks the README: reserve, pay as the customer, see it PAID', async () => {
    const created = await request(api).post('/api/v1/reservations').set('Idempotency-Key', aKey()).send(aCreateBody()).expect(202);
    const intentId = created.body.payment.payment_intent_id as string;
    expect(intentId).toMatch(/^pi_/);

    const paid = await request(`http://127.0.0.1:${sandboxPort}`).post(`/sandbox/payment_intents/${intentId}/succeed`).expect(200);
    expect(paid.body.delivery).toEqual({ status_code: 200 });

    const lookup = await request(api)
      .get(`/api/v1/reservations/${created.body.reservation_code}`)
      .query({ email: aCreateBody().customer.email })
      .expect(200);
    expect(lookup.body).toMatchObject({ status: 'PAID', progress: { payment: 'succeeded' } });
  });
});
