import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';
import request from 'supertest';
import { Reservation, ReservationStatusHistory } from '@app/reservations';
import { aCreateBody, aKey } from '../support/builders';
import { startTestApp, TestApp } from '../support/test-app';
import { waitForProgress } from '../support/wait-for-progress';

/** Whether a port on 127.0.0.1 can be listened on now. */
const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/**
 * `count` consecutive free ports: the sandbox serves Stripe, then HERTZ, BUDGET and EUROPCAR on
 * the ports after it. Chosen at run time, since other test runs on the machine take ports too.
 */
async function freePorts(count: number): Promise<number> {
  for (;;) {
    const base = 20_000 + randomInt(40_000);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return base;
  }
}

interface SandboxApi {
  t: TestApp;
  /** Where the README's `$API`, `:12111` (Stripe) and `:12112` (HERTZ, the builder's supplier) are. */
  api: string;
  stripe: string;
  hertz: string;
}

/**
 * The API as `npm start` runs it: no Stripe key and no supplier URLs, so it serves its own
 * Stripe sandbox and supplier simulators; `env` adds what a README section exports.
 */
async function startSandboxApi(env: Record<string, string> = {}): Promise<SandboxApi> {
  const apiPort = await freePorts(1);
  const sandboxPort = await freePorts(4);
  const t = await startTestApp('sqlite', {
    env: {
      SANDBOX: '',
      STRIPE_SECRET_KEY: '',
      STRIPE_WEBHOOK_SECRET: '',
      STRIPE_API_BASE: '',
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      SANDBOX_STRIPE_PORT: String(sandboxPort),
      SUPPLIER_HERTZ_URL: '',
      SUPPLIER_BUDGET_URL: '',
      SUPPLIER_EUROPCAR_URL: '',
      SANDBOX_SUPPLIER_PORT: String(sandboxPort + 1),
      // Unset unless a section sets them: process.env outlives the app that set it.
      PAYMENT_CAPTURE: '',
      ADMIN_API_TOKEN: '',
      ...env,
    },
  });
  await t.app.listen(apiPort, '127.0.0.1');
  const at = (port: number) => `http://127.0.0.1:${port}`;
  return { t, api: at(apiPort), stripe: at(sandboxPort), hertz: at(sandboxPort + 1) };
}

/** `curl -s -X POST -d '<json>' <url>`: curl sends `-d` as a form body, and the sandbox reads it as JSON. */
const curlPost = (url: string, path: string, json?: object) => {
  const post = request(url).post(path);
  return json ? post.type('form').send(JSON.stringify(json)) : post;
};

/** The README's customer steps against one running API. */
function customerOf({ api, stripe }: SandboxApi) {
  const lookup = (code: string) =>
    request(api)
      .get(`/api/v1/reservations/${code}`)
      .query({ email: aCreateBody().customer.email })
      .expect(200);
  return {
    lookup,
    reserve: async () => {
      const created = await request(api)
        .post('/api/v1/reservations')
        .set('Idempotency-Key', aKey())
        .send(aCreateBody())
        .expect(202);
      const intentId = created.body.payment.payment_intent_id as string;
      expect(intentId).toMatch(/^pi_/);
      return { code: created.body.reservation_code as string, intentId };
    },
    pay: (intentId: string) => curlPost(stripe, `/sandbox/payment_intents/${intentId}/succeed`).expect(200),
    /** Paid or held, then booked through the outbox: fails only if the status stops moving. */
    waitUntilBooked: (code: string) =>
      waitForProgress({
        progress: async () => (await lookup(code)).body.status as string,
        done: (status) => status === 'SUPPLIER_CONFIRMED',
        pollMs: 50,
      }),
  };
}

describe('the built-in Stripe sandbox (no Stripe key)', () => {
  let s: SandboxApi;

  beforeAll(async () => {
    s = await startSandboxApi();
  });
  afterAll(async () => {
    await s?.t.close();
  });

  it('walks the README: reserve, pay as the customer, see it booked with the supplier', async () => {
    const customer = customerOf(s);
    const { code, intentId } = await customer.reserve();

    const paid = await customer.pay(intentId);
    expect(paid.body.delivery).toEqual({ status_code: 200 });

    await customer.waitUntilBooked(code);
    const booked = (await customer.lookup(code)).body;
    expect(booked).toMatchObject({
      status: 'SUPPLIER_CONFIRMED',
      progress: { code: 'issued', payment: 'succeeded', supplier: 'confirmed' },
    });
    // HERTZ simulator's confirmation numbers look like H1234567.
    expect(booked.supplier_confirmation).toMatch(/^H\d{7}$/);
  });
});

describe('the built-in Stripe sandbox, PAYMENT_CAPTURE=after_supplier_confirmation', () => {
  // The README's: `export ADMIN_API_TOKEN=sandbox-admin-token-0123`.
  const adminToken = 'sandbox-admin-token-0123';
  let s: SandboxApi;

  beforeAll(async () => {
    s = await startSandboxApi({
      PAYMENT_CAPTURE: 'after_supplier_confirmation',
      ADMIN_API_TOKEN: adminToken,
    });
  });
  afterAll(async () => {
    await s?.t.close();
  });

  const admin = (path: string) =>
    request(s.api).get(`/api/v1/admin${path}`).set('Authorization', `Bearer ${adminToken}`).expect(200);
  /** What the sandbox sent about one intent, in order, as `GET /sandbox/events` lists it. */
  const eventsOf = async (intentId: string) => {
    const { data } = (await request(s.stripe).get('/sandbox/events').expect(200)).body as {
      data: { type: string; data: { object: { id: string; payment_intent?: string } } }[];
    };
    return data
      .filter(({ data: { object } }) => object.id === intentId || object.payment_intent === intentId)
      .map((event) => event.type);
  };
  const historyOf = async (code: string) => {
    const { id } = await s.t.dataSource.getRepository(Reservation).findOneByOrFail({ code });
    const rows = await s.t.dataSource
      .getRepository(ReservationStatusHistory)
      .find({ where: { reservationId: id }, order: { id: 'ASC' } });
    return rows.map((row) => `${row.fromStatus}->${row.toStatus}: ${row.cause}`);
  };

  it('walks the README: held, booked, captured once, then refunded in the Dashboard and flagged to operators', async () => {
    const customer = customerOf(s);
    // The simulator books within milliseconds: slowed down, the held step lasts long enough for a lookup.
    await curlPost(s.hertz, '/sandbox/faults', { bookLatencyMs: 2000 }).expect(200);
    const { code, intentId } = await customer.reserve();

    const paid = await customer.pay(intentId);
    expect(paid.body.delivery).toEqual({ status_code: 200 });
    expect(paid.body.payment_intent).toMatchObject({
      capture_method: 'manual',
      status: 'requires_capture',
      amount_capturable: 18950,
      amount_received: 0,
    });
    expect((await customer.lookup(code)).body).toMatchObject({
      status: 'AUTHORIZED',
      progress: { payment: 'authorized', supplier: 'pending' },
    });

    await customer.waitUntilBooked(code);
    const booked = (await customer.lookup(code)).body;
    expect(booked).toMatchObject({
      status: 'SUPPLIER_CONFIRMED',
      progress: { payment: 'succeeded', supplier: 'confirmed' },
    });
    expect(booked.supplier_confirmation).toMatch(/^H\d{7}$/);
    // Held first, then captured exactly once, after the booking.
    expect(await eventsOf(intentId)).toEqual([
      'payment_intent.amount_capturable_updated',
      'charge.succeeded',
      'payment_intent.succeeded',
      'charge.captured',
    ]);
    const history = await historyOf(code);
    const captured = history.filter((line) => /payment captured/.test(line));
    expect(captured).toEqual([expect.stringMatching(/^AUTHORIZED->SUPPLIER_CONFIRMED: /)]);
    expect(history.findIndex((line) => /capturing the payment/.test(line))).toBeLessThan(
      history.indexOf(captured[0]),
    );

    // A support agent refunds all of it in the Dashboard.
    const refund = await curlPost(s.stripe, '/sandbox/dashboard/refunds', {
      payment_intent: intentId,
    }).expect(200);
    expect(refund.body.delivery).toEqual({ status_code: 200 });
    expect(refund.body.charge).toMatchObject({ refunded: true, amount_refunded: 18950 });

    // Kept booked and flagged: an operator cancels at the supplier, or charges again.
    expect((await customer.lookup(code)).body.status).toBe('SUPPLIER_CONFIRMED');
    expect((await admin('/money-safety')).body.reservations).toEqual([
      expect.objectContaining({
        reservation_code: code,
        problem: 'refunded_at_stripe_after_booking',
        refunded_amount: 18950,
      }),
    ]);
    const flagged = (await admin('/reservations?needs_attention=true')).body.items as {
      reservation_code: string;
      operations: object;
    }[];
    expect(flagged.map((item) => item.reservation_code)).toEqual([code]);
    expect(flagged[0].operations).toMatchObject({
      needs_attention: true,
      refunded_amount: 18950,
      capture_method: 'manual',
      captured_at: expect.any(String),
    });
    expect((await eventsOf(intentId)).filter((type) => type === 'charge.captured')).toHaveLength(1);
  });
});
