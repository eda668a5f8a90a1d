import request from 'supertest';
import { aCreateBody, aKey } from '../support/builders';
import { startTestApp, TestApp } from '../support/test-app';
import { waitForProgress } from '../support/wait-for-progress';

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
        // No supplier URLs either: the sandbox serves the three supplier simulators.
        SUPPLIER_HERTZ_URL: '',
        SUPPLIER_BUDGET_URL: '',
        SUPPLIER_EUROPCAR_URL: '',
        SANDBOX_SUPPLIER_PORT: String(sandboxPort + 1),
      },
    });
    await t.app.listen(apiPort, '127.0.0.1');
  });
  afterAll(async () => {
    await t.close();
  });

  it('walks the README: reserve, pay as the customer, see it booked with the supplier', async () => {
    const created = await request(api).post('/api/v1/reservations').set('Idempotency-Key', aKey()).send(aCreateBody()).expect(202);
    const intentId = created.body.payment.payment_intent_id as string;
    expect(intentId).toMatch(/^pi_/);

    const paid = await request(`http://127.0.0.1:${sandboxPort}`).post(`/sandbox/payment_intents/${intentId}/succeed`).expect(200);
    expect(paid.body.delivery).toEqual({ status_code: 200 });

    const lookup = () =>
      request(api).get(`/api/v1/reservations/${created.body.reservation_code}`).query({ email: aCreateBody().customer.email }).expect(200);
    // PAID, then booked through the outbox: fails only if the status stops moving.
    await waitForProgress({ progress: async () => (await lookup()).body.status as string, done: (status) => status === 'SUPPLIER_CONFIRMED', pollMs: 50 });
    const booked = (await lookup()).body;
    expect(booked).toMatchObject({
      status: 'SUPPLIER_CONFIRMED',
      progress: { code: 'issued', payment: 'succeeded', supplier: 'confirmed' },
    });
    // HERTZ (the builder's supplier) simulator's confirmation numbers look like H1234567.
    expect(booked.supplier_confirmation).toMatch(/^H\d{7}$/);
  });
});
