import { ExpireUnpaidReservationsJob, ReconcilePaymentsJob } from '@app/payments';
import { Reservation, ReservationStatus } from '@app/reservations';
import { DATABASE_KINDS } from '../support/test-database';
import { PaymentFixture, startPaymentFixture } from './payment-fixture';

/**
 * The reconciliation against the Stripe sandbox over HTTP: what it does for an EXPIRED
 * reservation whose PaymentIntent could not be cancelled (it was processing), and that it
 * walks every waiting reservation in turn, batch after batch.
 */
describe.each(DATABASE_KINDS)('payment reconciliation on %s', (kind) => {
  let f: PaymentFixture;
  const reservations = () => f.t.dataSource.getRepository(Reservation);
  const reconcile = (batchSize?: number) => f.t.app.get(ReconcilePaymentsJob).run(batchSize);

  beforeAll(async () => {
    f = await startPaymentFixture(kind);
  });
  afterAll(async () => {
    await f.close();
  });
  beforeEach(() => f.sandbox.clearFaults());

  /** As if created (and last changed) that many minutes ago. */
  const backdate = (code: string, minutes: number) =>
    reservations().update({ code }, { createdAt: new Date(Date.now() - minutes * 60_000), updatedAt: new Date(Date.now() - minutes * 60_000) });
  /** Unchanged for longer than PAYMENT_RECONCILE_AFTER_MINUTES (10). */
  const letWait = (code: string) => reservations().update({ code }, { updatedAt: new Date(Date.now() - 11 * 60_000) });
  const reservation = (code: string) => reservations().findOneByOrFail({ code });

  /** A reservation that expires while its payment is processing: Stripe refuses to cancel the intent. */
  const expiredWhileProcessing = async () => {
    const created = await f.reserve();
    const code = created.reservation_code;
    const intentId = created.payment!.payment_intent_id;
    await f.sandbox.process(intentId);
    await backdate(code, 31);
    expect(await f.t.app.get(ExpireUnpaidReservationsJob).expire(code, new Date(Date.now() - 30 * 60_000))).toBe(true);
    await f.drainNow();
    expect(f.sandbox.paymentIntent(intentId)!.status).toBe('processing');
    expect(await reservation(code)).toMatchObject({ status: ReservationStatus.EXPIRED, paymentIntentCanceledAt: null });
    return { code, intentId };
  };

  it('an expiry that found the payment processing: its later success, webhook lost, is applied (EXPIRED → PAID)', async () => {
    const { code, intentId } = await expiredWhileProcessing();
    await letWait(code);
    // Still processing: read, nothing to do yet.
    await reconcile();
    expect(f.sandbox.retrievals(intentId)).toBeGreaterThanOrEqual(1);
    expect((await reservation(code)).status).toBe(ReservationStatus.EXPIRED);

    await f.sandbox.succeed(intentId, { deliver: false });
    await reconcile();
    await f.expectPaidOnce(code);
    expect((await f.lookup(code)).progress.payment).toBe('succeeded');
  });

  it('an expiry that found the payment processing, which then failed: the cancel is retried and recorded; no more reads', async () => {
    const { code, intentId } = await expiredWhileProcessing();
    await f.sandbox.fail(intentId, { deliver: false });
    await letWait(code);
    await reconcile();
    expect(f.sandbox.paymentIntent(intentId)!.status).toBe('canceled');
    const settled = await reservation(code);
    expect(settled.status).toBe(ReservationStatus.EXPIRED);
    expect(settled.paymentIntentCanceledAt).toEqual(expect.any(Date));

    const reads = f.sandbox.retrievals(intentId);
    await letWait(code);
    await reconcile();
    expect(f.sandbox.retrievals(intentId)).toBe(reads);
  });

  it('a cancel that works is recorded: the reconciliation never reads that intent', async () => {
    const created = await f.reserve();
    const code = created.reservation_code;
    await backdate(code, 31);
    await f.t.app.get(ExpireUnpaidReservationsJob).expire(code, new Date(Date.now() - 30 * 60_000));
    await f.drainNow();
    expect(f.sandbox.paymentIntent(created.payment!.payment_intent_id)!.status).toBe('canceled');
    expect((await reservation(code)).paymentIntentCanceledAt).toEqual(expect.any(Date));
    await letWait(code);
    await reconcile();
    expect(f.sandbox.retrievals(created.payment!.payment_intent_id)).toBe(0);
  });

  it('walks every waiting reservation: N in PAYMENT_IN_PROGRESS are each read within ceil(N / batch) runs', async () => {
    const N = 7;
    const BATCH = 3;
    const intents: string[] = [];
    for (let i = 0; i < N; i++) {
      const created = await f.reserve();
      intents.push(created.payment!.payment_intent_id);
      // Nothing to apply: the customer has not paid, so no read changes the reservation.
      await letWait(created.reservation_code);
    }
    for (let run = 0; run < Math.ceil(N / BATCH); run++) await reconcile(BATCH);
    const reads = intents.map((id) => f.sandbox.retrievals(id));
    expect(reads.filter((count) => count === 0)).toEqual([]);
    expect(Math.max(...reads) - Math.min(...reads)).toBeLessThanOrEqual(1);
  });

  it('walks every stranded CREATED reservation too, while Stripe keeps refusing to create their intents', async () => {
    const N = 5;
    const BATCH = 2;
    f.sandbox.injectFault({ operation: 'create_payment_intent', mode: 'error', count: 1000 });
    const codes: string[] = [];
    for (let i = 0; i < N; i++) {
      const created = await f.reserve();
      expect(created.payment).toBeNull();
      codes.push(created.reservation_code);
      await letWait(created.reservation_code);
    }
    const before = f.sandbox.calls('create_payment_intent');
    for (let run = 0; run < Math.ceil(N / BATCH); run++) await reconcile(BATCH);
    expect(f.sandbox.calls('create_payment_intent') - before).toBeGreaterThanOrEqual(N);
    for (const code of codes) expect(await reservation(code)).toMatchObject({ status: ReservationStatus.CREATED, paymentCheckedAt: expect.any(Date) });
  });
});
