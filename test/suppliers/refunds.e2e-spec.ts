import request from 'supertest';
import { OutboxEvent, OutboxStatus } from '@app/outbox';
import { Reservation, ReservationStatus } from '@app/reservations';
import {
  BookWithSupplierHandler,
  CHECK_SUPPLIER_AFTER_REFUND,
  SETTLE_REFUND,
  suppliersConfig,
  SuppliersConfig,
} from '@app/supplier-booking';
import { DATABASE_KINDS } from '../support/test-database';
import { waitUntil } from '../support/wait-for-progress';
import { startSupplierFixture, SupplierFixture } from './supplier-fixture';

/**
 * Refunds under races and ambiguous outcomes: a refund and a booking never both succeed
 * silently, and a refund whose answer is lost stays pending until the outbox settles it.
 */
describe.each(DATABASE_KINDS)('refunds under races and lost answers on %s', (kind) => {
  let f: SupplierFixture;

  beforeAll(async () => {
    // A supplier held by the test must not time out meanwhile, however busy the machine.
    f = await startSupplierFixture(kind, { SUPPLIER_TIMEOUT_MS: '60000' });
  });
  afterAll(async () => {
    await f.close();
  });
  beforeEach(() => {
    for (const simulator of Object.values(f.simulators)) simulator.setFaults({});
    f.sandbox.clearFaults();
  });

  const admin = (method: 'get' | 'post', path: string) => f.admin(method, path, 'bob');
  const refund = (reservation: Reservation, reason = 'No supplier can serve it') =>
    admin('post', `/reservations/${reservation.code}/refund`).send({ lock_version: reservation.lockVersion, reason });
  /** CONFIRMED_INTERNAL and flagged: the supplier refused the first booking run. */
  const rejected = async (supplier: 'HERTZ' | 'BUDGET' = 'HERTZ') => {
    const reservation = await f.rejected(supplier);
    expect(reservation.status).toBe(ReservationStatus.CONFIRMED_INTERNAL);
    return reservation;
  };
  /** Waits for progress, not for a time: until the supplier has received another request. */
  const untilSupplierReceives = (before: number) => waitUntil(() => f.simulators.HERTZ.received > before, undefined, 10);
  const refundsAtStripe = (reservation: Reservation) => f.sandbox.refunds().filter((r) => r.payment_intent === reservation.paymentIntentId);

  it('refuses a refund (409 RESERVATION.BOOKING_IN_PROGRESS) while a booking run holds the reservation', async () => {
    const reservation = await rejected();
    const release = f.simulators.HERTZ.pause();
    const before = f.simulators.HERTZ.received;
    try {
      const retried = await admin('post', `/reservations/${reservation.code}/supplier-booking/retry`)
        .send({ lock_version: reservation.lockVersion })
        .expect(202);
      await untilSupplierReceives(before);
      const refused = await refund({ ...reservation, lockVersion: retried.body.operations.lock_version } as Reservation).expect(409);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body.code).toBe('RESERVATION.BOOKING_IN_PROGRESS');
    } finally {
      release();
    }
    await f.settle();
    const after = await f.reservation(reservation.code);
    expect(after).toMatchObject({ status: ReservationStatus.SUPPLIER_CONFIRMED, refundRequestedAt: null, needsAttention: false });
    expect(refundsAtStripe(reservation)).toHaveLength(0);
  });

  it('keeps and flags a confirmation that arrives for a refunded reservation; the money-safety check lists it', async () => {
    const reservation = await rejected();
    const release = f.simulators.HERTZ.pause();
    const before = f.simulators.HERTZ.received;
    // A run the refund cannot see (the supplier books late): started here, not through the outbox.
    const run = f.t.app.get(BookWithSupplierHandler).execute({ reservationCode: reservation.code, afterAttempt: 1, lookupFirst: true });
    try {
      await untilSupplierReceives(before);
      const refunded = await refund(reservation).expect(200);
      expect(refunded.body.status).toBe('REFUNDED');
    } finally {
      release();
    }
    expect(await run).toBe('confirmed_after_refund');

    const after = await f.reservation(reservation.code);
    expect(after.status).toBe(ReservationStatus.REFUNDED);
    expect(after.needsAttention).toBe(true);
    expect(after.supplierConfirmation).toBe(f.simulators.HERTZ.bookings().get(reservation.code));
    expect(after.supplierLastError).toContain('cancel the supplier booking');
    expect(refundsAtStripe(reservation)).toHaveLength(1);

    const report = await admin('get', '/money-safety').query({ older_than_minutes: 100_000 }).expect(200);
    expect(report.body.reservations.find((r: { reservation_code: string }) => r.reservation_code === reservation.code)).toMatchObject({
      status: 'REFUNDED',
      problem: 'booked_after_refund',
      needs_attention: true,
      supplier_confirmation: after.supplierConfirmation,
    });
  });

  it('after a refund, a booking the supplier made late (after its answer was lost) is found by a lookup and flagged', async () => {
    const reservation = await rejected('BUDGET');
    const code = reservation.code;
    // The supplier books our reference on its own, as one does that answered too late to be heard.
    const budget = f.t.app.get<SuppliersConfig>(suppliersConfig.KEY).budget.baseUrl;
    await request(budget).post('/v1/reservations').send({ external_reference: code }).expect(201);
    const bookingsBefore = f.simulators.BUDGET.requests;

    await refund(reservation).expect(200);
    expect(await f.events(CHECK_SUPPLIER_AFTER_REFUND, code)).toHaveLength(1);
    await f.drainNow();

    const after = await f.reservation(code);
    expect(after).toMatchObject({ status: ReservationStatus.REFUNDED, needsAttention: true });
    expect(after.supplierConfirmation).toBe(f.simulators.BUDGET.bookings().get(code));
    expect(after.supplierLastError).toContain('cancel the supplier booking');
    // A lookup, never a booking.
    expect(f.simulators.BUDGET.requests).toBe(bookingsBefore);
  });

  it('a refund whose answer is lost is pending (202), blocks booking, and the outbox settles it with the same key', async () => {
    const reservation = await rejected();
    f.sandbox.injectFault({ operation: 'create_refund', mode: 'commit_then_timeout', count: 1 });
    const pending = await refund(reservation).expect(202);
    expect(pending.body).toMatchObject({
      status: 'CONFIRMED_INTERNAL',
      operations: { refund_state: 'outcome_unknown', refund_requested_at: expect.any(String), refund_last_error: expect.any(String) },
    });
    // Stripe did refund; we do not know it yet, and nothing may book the car meanwhile.
    expect(refundsAtStripe(reservation)).toHaveLength(1);
    const blocked = await admin('post', `/reservations/${reservation.code}/supplier-booking/retry`)
      .send({ lock_version: pending.body.operations.lock_version })
      .expect(409);
    expect(blocked.body.code).toBe('RESERVATION.ACTION_NOT_ALLOWED');
    const listed = await admin('get', '/reservations').query({ status: 'CONFIRMED_INTERNAL' }).expect(200);
    expect(listed.body.items.find((item: { reservation_code: string }) => item.reservation_code === reservation.code)).toMatchObject({
      operations: { refund_state: 'outcome_unknown' },
    });
    const bookingsBefore = f.simulators.HERTZ.requests;

    await f.drainNow();
    const settled = await f.reservation(reservation.code);
    expect(settled).toMatchObject({ status: ReservationStatus.REFUNDED, refundedAmount: 18950, refundState: null, needsAttention: false });
    expect(settled.refundId).toBe(refundsAtStripe(reservation)[0].id);
    expect(refundsAtStripe(reservation)).toHaveLength(1);
    expect(f.simulators.HERTZ.requests).toBe(bookingsBefore);
    const [settle] = await f.events(SETTLE_REFUND, reservation.code);
    expect(settle.status).toBe(OutboxStatus.DONE);
  });

  it('repeating a refund whose outcome is unknown is safe: the same refund, once', async () => {
    const reservation = await rejected();
    f.sandbox.injectFault({ operation: 'create_refund', mode: 'commit_then_timeout', count: 1 });
    const pending = await refund(reservation).expect(202);
    const repeated = await refund({ ...reservation, lockVersion: pending.body.operations.lock_version } as Reservation, 'repeat').expect(200);
    expect(repeated.body).toMatchObject({ status: 'REFUNDED', operations: { refund_state: 'refunded', refunded_amount: 18950 } });
    expect(refundsAtStripe(reservation)).toHaveLength(1);
    await f.drainNow();
    expect((await f.reservation(reservation.code)).status).toBe(ReservationStatus.REFUNDED);
    expect(refundsAtStripe(reservation)).toHaveLength(1);
  });

  it('once Stripe has forgotten the key, the intent’s refunds settle it: no second refund', async () => {
    const reservation = await rejected();
    f.sandbox.injectFault({ operation: 'create_refund', mode: 'commit_then_timeout', count: 1 });
    await refund(reservation).expect(202);
    // A day later: Stripe no longer keeps the key, so repeating it would refund again if anything were left.
    f.sandbox.forgetIdempotencyKeys();
    await f.t.dataSource.getRepository(Reservation).update({ code: reservation.code }, { refundRequestedAt: new Date(Date.now() - 25 * 3_600_000) });
    const listsBefore = f.sandbox.calls('list_refunds');

    await f.drainNow();
    const settled = await f.reservation(reservation.code);
    expect(settled).toMatchObject({ status: ReservationStatus.REFUNDED, refundedAmount: 18950 });
    expect(f.sandbox.calls('list_refunds')).toBeGreaterThan(listsBefore);
    expect(refundsAtStripe(reservation)).toHaveLength(1);
    expect(settled.refundId).toBe(refundsAtStripe(reservation)[0].id);
  });

  it('once Stripe has forgotten the key and the intent has no refund, the outbox refunds it once under a key of the day', async () => {
    const reservation = await rejected();
    f.sandbox.injectFault({ operation: 'create_refund', mode: 'error', status: 500, count: 1 });
    await refund(reservation).expect(202);
    f.sandbox.forgetIdempotencyKeys();
    await f.t.dataSource.getRepository(Reservation).update({ code: reservation.code }, { refundRequestedAt: new Date(Date.now() - 25 * 3_600_000) });

    await f.drainNow();
    expect(await f.reservation(reservation.code)).toMatchObject({ status: ReservationStatus.REFUNDED, refundedAmount: 18950 });
    expect(refundsAtStripe(reservation)).toHaveLength(1);
  });

  it.each([500, 429, 409])('Stripe answering %i leaves the refund pending, then the outbox refunds it once', async (status) => {
    const reservation = await rejected();
    f.sandbox.injectFault({ operation: 'create_refund', mode: 'error', status, count: 1 });
    const pending = await refund(reservation).expect(202);
    expect(pending.body.operations.refund_state).toBe('outcome_unknown');
    expect(refundsAtStripe(reservation)).toHaveLength(0);
    const unknown = await f.reservation(reservation.code);
    expect(unknown).toMatchObject({ status: ReservationStatus.CONFIRMED_INTERNAL, refundState: 'UNKNOWN' });
    expect(unknown.refundRequestedAt).not.toBeNull();

    await f.drainNow();
    expect(await f.reservation(reservation.code)).toMatchObject({ status: ReservationStatus.REFUNDED, refundedAmount: 18950 });
    expect(refundsAtStripe(reservation)).toHaveLength(1);
  });

  it('a definitive refusal (4xx) abandons the refund (502) and booking may go on; its safety net then does nothing', async () => {
    const reservation = await rejected();
    f.sandbox.injectFault({ operation: 'create_refund', mode: 'error', status: 400, count: 1 });
    const failed = await refund(reservation).expect(502);
    expect(failed.body).toMatchObject({ status: 502, code: 'PAYMENT.REFUND_FAILED' });
    const after = await f.reservation(reservation.code);
    expect(after).toMatchObject({ status: ReservationStatus.CONFIRMED_INTERNAL, refundRequestedAt: null, refundState: null });
    expect(after.refundLastError).toContain('Stripe refused');

    await f.drainNow();
    expect((await f.reservation(reservation.code)).status).toBe(ReservationStatus.CONFIRMED_INTERNAL);
    expect(refundsAtStripe(reservation)).toHaveLength(0);
    const settle = await f.t.dataSource.getRepository(OutboxEvent).findOneByOrFail({ type: SETTLE_REFUND, aggregateId: reservation.code });
    expect(settle.status).toBe(OutboxStatus.DONE);
  });
});
