import Stripe from 'stripe';
import request from 'supertest';
import { OutboxDrainer, OutboxEvent, OutboxStatus } from '@app/outbox';
import { Reservation, ReservationStatus } from '@app/reservations';
import { StripeSandbox } from '@app/sandbox';
import { aCreateBody, aKey } from '../support/builders';
import { startTestApp, TestApp } from '../support/test-app';
import { DATABASE_KINDS } from '../support/test-database';
import { waitForProgress } from '../support/wait-for-progress';
import { PaymentFixture, startPaymentFixture, WEBHOOK_SECRET } from './payment-fixture';

/** The reservation's one idempotency key at Stripe: it must never change from one release to the next. */
const intentKeyOf = (code: string) => `reservation-${code}-payment-intent`;

/** Makes the app's pending outbox events due now and drains until `done`. */
async function drainUntil(t: TestApp, what: string, done: () => Promise<boolean>): Promise<void> {
  await t.dataSource.getRepository(OutboxEvent).createQueryBuilder().update().set({ nextAttemptAt: new Date(Date.now() - 1000) }).where("status = 'PENDING'").execute();
  await waitForProgress({
    what,
    progress: async () => ({ done: await done(), attempts: (await t.dataSource.getRepository(OutboxEvent).find()).map((event) => event.attempts) }),
    done: (progress) => progress.done,
    tick: async () => {
      await t.app.get(OutboxDrainer).drain();
    },
  });
}

const intentEvent = (t: TestApp, code: string) =>
  t.dataSource.getRepository(OutboxEvent).findOneByOrFail({ type: 'CREATE_PAYMENT_INTENT', aggregateId: code });

/**
 * The capture method is decided once per reservation, when it is made, so that every attempt
 * under its idempotency key sends the same parameters: Stripe (and the sandbox) refuse a key
 * reused with others (`idempotency_error`), which would leave the customer nothing to pay.
 */
describe.each(DATABASE_KINDS)('the capture method of a PaymentIntent asked for again, on %s', (kind) => {
  it('a creation whose answer was lost before PAYMENT_CAPTURE changed and the app restarted still gets its intent, as it was asked for', async () => {
    const sandbox = new StripeSandbox({ webhookSecret: WEBHOOK_SECRET });
    const { url } = await sandbox.start();
    const boot = (capture: string, databaseUrl?: string) =>
      startTestApp(kind, {
        databaseUrl,
        env: { STRIPE_API_BASE: url, STRIPE_TIMEOUT_MS: '1500', PAYMENT_JOBS_INTERVAL_MS: '3600000', PAYMENT_CAPTURE: capture },
      });
    const first = await boot('after_supplier_confirmation');
    let second: TestApp | undefined;
    try {
      // Stripe makes the held intent and its answer is lost: the inline attempt gives up.
      sandbox.injectFault({ operation: 'create_payment_intent', mode: 'commit_then_timeout', count: 1, delay_ms: 3000 });
      const created = await request(first.server).post('/api/v1/reservations').set('Idempotency-Key', aKey()).send(aCreateBody()).expect(202);
      const code = created.body.reservation_code as string;
      expect(created.body.payment).toBeNull();
      const [atStripe] = sandbox.paymentIntents();
      expect(atStripe).toMatchObject({ capture_method: 'manual', metadata: { reservation_code: code } });
      // Stopped before its safety net runs (10 s); it comes back charging at once.
      await first.app.close();

      second = await boot('immediate', first.database.url);
      await second.app.listen(0, '127.0.0.1');
      sandbox.setWebhookUrl(`http://127.0.0.1:${(second.server.address() as { port: number }).port}/api/v1/webhooks/stripe`);
      const reservations = second.dataSource.getRepository(Reservation);
      await drainUntil(second, `the PaymentIntent of ${code}`, async () => (await intentEvent(second!, code)).status !== OutboxStatus.PENDING);

      expect(await intentEvent(second, code)).toMatchObject({ status: OutboxStatus.DONE });
      expect(await reservations.findOneByOrFail({ code })).toMatchObject({
        status: ReservationStatus.PAYMENT_IN_PROGRESS,
        paymentIntentId: atStripe.id,
        captureMethod: 'manual',
      });
      // The same key with the same parameters: Stripe's first answer again, no second intent.
      expect(sandbox.requests('create_payment_intent').map((entry) => `${entry.idempotency_key}:${entry.outcome}`)).toEqual([
        `${intentKeyOf(code)}:performed`,
        `${intentKeyOf(code)}:replayed`,
      ]);
      expect(sandbox.paymentIntents()).toHaveLength(1);

      // The customer pays: the money is held, as it was asked for, and the customer's lookup says so.
      const paid = await sandbox.succeed(atStripe.id);
      expect(paid.delivery).toEqual({ status_code: 200 });
      const lookup = await request(second.server).get(`/api/v1/reservations/${code}`).query({ email: aCreateBody().customer.email }).expect(200);
      expect(lookup.body.progress.payment).toBe('authorized');
      expect((await reservations.findOneByOrFail({ code })).authorizedAt).toEqual(expect.any(Date));
    } finally {
      if (second) await second.close();
      else await first.app.close().catch(() => undefined);
      await first.database.drop();
      await sandbox.stop();
    }
  });

  describe('a key whose first request was made by another build', () => {
    let f: PaymentFixture;
    let stripe: Stripe;

    beforeAll(async () => {
      f = await startPaymentFixture(kind, { PAYMENT_CAPTURE: 'immediate' });
      // The fixture's sandbox, where it pointed the app.
      const base = new URL(process.env.STRIPE_API_BASE!);
      stripe = new Stripe('sk_test_old_build', {
        host: base.hostname,
        port: Number(base.port),
        protocol: 'http',
        maxNetworkRetries: 0,
        telemetry: false,
      });
    });
    afterAll(async () => {
      await f.close();
    });

    /** A reservation whose inline attempt failed, its key then used as `params` say (another build's request, answer lost). */
    const reservedThenAskedFor = async (params: (reservation: Reservation) => Stripe.PaymentIntentCreateParams) => {
      f.sandbox.injectFault({ operation: 'create_payment_intent', mode: 'error', status: 500, count: 1 });
      const { reservation_code: code, payment } = await f.reserve();
      expect(payment).toBeNull();
      const reservation = await f.t.dataSource.getRepository(Reservation).findOneByOrFail({ code });
      const made = await stripe.paymentIntents.create(params(reservation), { idempotencyKey: intentKeyOf(code) });
      await drainUntil(f.t, `the PaymentIntent of ${code}`, async () => (await intentEvent(f.t, code)).status !== OutboxStatus.PENDING);
      const outcomes = f.sandbox
        .requests('create_payment_intent')
        .filter((entry) => entry.idempotency_key === intentKeyOf(code) && entry.outcome !== 'faulted')
        .map((entry) => entry.outcome);
      return { code, made, outcomes, after: await f.t.dataSource.getRepository(Reservation).findOneByOrFail({ code }), event: await intentEvent(f.t, code) };
    };
    /** What every build before PAYMENT_CAPTURE sent. */
    const beforeCaptureModes = (reservation: Reservation): Stripe.PaymentIntentCreateParams => ({
      amount: reservation.amount,
      currency: reservation.currency.toLowerCase(),
      metadata: { reservation_code: reservation.code },
      automatic_payment_methods: { enabled: true },
    });

    it('immediate mode sends what was sent before PAYMENT_CAPTURE existed (no capture_method): the retry across the upgrade is a replay', async () => {
      const { made, outcomes, after, event } = await reservedThenAskedFor(beforeCaptureModes);
      expect(outcomes).toEqual(['performed', 'replayed']);
      expect(event.status).toBe(OutboxStatus.DONE);
      expect(after).toMatchObject({ status: ReservationStatus.PAYMENT_IN_PROGRESS, paymentIntentId: made.id, captureMethod: 'automatic' });
    });

    it('a key first used with the other capture method: Stripe\'s idempotency_error is answered by the intent it was made for, which the reservation follows', async () => {
      const { made, outcomes, after, event } = await reservedThenAskedFor((reservation) => ({ ...beforeCaptureModes(reservation), capture_method: 'manual' }));
      expect(outcomes).toEqual(['performed', 'refused', 'refused', 'replayed']);
      expect(event.status).toBe(OutboxStatus.DONE);
      expect(after).toMatchObject({ status: ReservationStatus.PAYMENT_IN_PROGRESS, paymentIntentId: made.id, captureMethod: 'manual' });
      expect(f.sandbox.paymentIntents().filter((intent) => intent.metadata.reservation_code === after.code)).toHaveLength(1);
    });

    it('a key Stripe replays under no parameters this product sends: DEAD at once, saying why and where to look', async () => {
      const { outcomes, after, event } = await reservedThenAskedFor((reservation) => ({ ...beforeCaptureModes(reservation), amount: reservation.amount + 1 }));
      expect(outcomes).toEqual(['performed', 'refused', 'refused', 'refused']);
      expect(event).toMatchObject({ status: OutboxStatus.DEAD, attempts: 1 });
      expect(event.lastError).toContain(`Stripe refused the idempotency key ${intentKeyOf(after.code)}: it was first used with other parameters`);
      expect(event.lastError).toContain(`reservation_code=${after.code}`);
      expect(after).toMatchObject({ status: ReservationStatus.CREATED, paymentIntentId: null });
    });
  });
});
