import { ExpireUnpaidReservationsJob } from '@app/payments';
import { Reservation } from '@app/reservations';
import { PaymentFixture, startPaymentFixture } from './payment-fixture';

const REPETITIONS = 200;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const IN_PARALLEL = 10;

/** The webhook and the expiry job racing on one reservation, for real, on MySQL. */
describe('webhook racing the expiry on MySQL', () => {
  let f: PaymentFixture;

  beforeAll(async () => {
    f = await startPaymentFixture('mysql', { DATABASE_POOL_SIZE: '20' });
  });
  afterAll(async () => {
    await f.close();
  });

  it(`${REPETITIONS} races: never a lost payment, never a lost update, never an error for Stripe`, async () => {
    const expiry = f.t.app.get(ExpireUnpaidReservationsJob);
    const outcomes: string[] = [];
    /** What a webhook has been taking lately, end to end. */
    let webhookMs = 10;

    const race = async () => {
      const created = await f.reserve();
      const code = created.reservation_code;
      const { event } = await f.sandbox.succeed(created.payment!.payment_intent_id, { deliver: false });
      const past = new Date(Date.now() - 31 * 60_000);
      await f.t.dataSource.getRepository(Reservation).update({ code }, { createdAt: past });

      // The webhook travels over HTTP, the expiry runs in-process: a random head start for
      // the webhook, up to twice what a webhook has been taking (a loaded machine slows it),
      // makes either one win, and often both collide in the database.
      const sent = Date.now();
      const [webhook, expired] = await Promise.all([
        Promise.resolve(f.postEvent(JSON.stringify(event))).finally(() => (webhookMs = 0.8 * webhookMs + 0.2 * (Date.now() - sent))),
        sleep(Math.random() * 2 * webhookMs).then(() => expiry.expire(code, new Date(Date.now() - 30 * 60_000))),
      ]);
      expect(webhook.status).toBe(200);
      outcomes.push(expired ? 'expired-then-paid' : 'paid-first');

      // Whoever won, the money is not lost: the reservation ends PAID (once), booked exactly once.
      await f.expectPaidOnce(code);
    };

    for (let done = 0; done < REPETITIONS; done += IN_PARALLEL) {
      await Promise.all(Array.from({ length: IN_PARALLEL }, race));
    }
    expect(outcomes).toHaveLength(REPETITIONS);
    // Both orders happened (measured: about 3 in 4 expire first); otherwise this raced nothing.
    expect(new Set(outcomes)).toEqual(new Set(['expired-then-paid', 'paid-first']));
  });
});
