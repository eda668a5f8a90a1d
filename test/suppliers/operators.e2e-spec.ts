import request from 'supertest';
import { Reservation, ReservationStatus, ReservationStatusHistory } from '@app/reservations';
import { DATABASE_KINDS } from '../support/test-database';
import { startSupplierFixture, SupplierFixture } from './supplier-fixture';

/** The operators' routes of supplier booking: list, retry now, refund, money-safety check. */
describe.each(DATABASE_KINDS)('operators on %s', (kind) => {
  let f: SupplierFixture;

  beforeAll(async () => {
    f = await startSupplierFixture(kind);
  });
  afterAll(async () => {
    await f.close();
  });
  beforeEach(() => {
    for (const simulator of Object.values(f.simulators)) simulator.setFaults({});
    f.sandbox.clearFaults();
  });

  const admin = (method: 'get' | 'post', path: string) => f.admin(method, path);
  const rejected = () => f.rejected();
  const lastHistory = async (reservation: Reservation) =>
    (await f.t.dataSource.getRepository(ReservationStatusHistory).find({ where: { reservationId: reservation.id }, order: { id: 'DESC' }, take: 1 }))[0];

  it('lists reservations by status and attention flag, behind the token', async () => {
    const flagged = await rejected();
    const list = await admin('get', '/reservations').query({ status: 'CONFIRMED_INTERNAL', needs_attention: 'true' }).expect(200);
    const codes = list.body.items.map((item: { reservation_code: string }) => item.reservation_code);
    expect(codes).toContain(flagged.code);
    for (const item of list.body.items) {
      expect(item).toMatchObject({ status: 'CONFIRMED_INTERNAL', operations: { needs_attention: true } });
    }
    const calm = await admin('get', '/reservations').query({ needs_attention: 'false' }).expect(200);
    expect(calm.body.items.map((item: { reservation_code: string }) => item.reservation_code)).not.toContain(flagged.code);

    const bad = await admin('get', '/reservations').query({ status: 'LOST' }).expect(422);
    expect(bad.body.errors[0]).toMatchObject({ field: 'status', code: 'RESERVATION.STATUS_INVALID' });
    const page = await admin('get', '/reservations').query({ limit: 0 }).expect(422);
    expect(page.body.errors[0]).toMatchObject({ field: 'limit', code: 'REQUEST.PAGE_INVALID' });
    const one = await admin('get', '/reservations').query({ limit: 1 }).expect(200);
    expect(one.body.items).toHaveLength(1);
    expect(one.body.next_cursor).toEqual(expect.any(Number));
    await request(f.base).get('/api/v1/admin/reservations').expect(401);
    expect((await admin('get', '/suppliers/circuits').expect(200)).body).toEqual({ HERTZ: 'closed', BUDGET: 'closed', EUROPCAR: 'closed' });
  });

  it('retry now: refuses a stale lock_version, then books and records who asked', async () => {
    const reservation = await rejected();
    const stale = await admin('post', `/reservations/${reservation.code}/supplier-booking/retry`)
      .send({ lock_version: reservation.lockVersion - 1 })
      .expect(409);
    expect(stale.body.code).toBe('RESERVATION.CHANGED_CONCURRENTLY');

    const accepted = await admin('post', `/reservations/${reservation.code.toLowerCase()}/supplier-booking/retry`)
      .send({ lock_version: reservation.lockVersion })
      .expect(202);
    expect(accepted.body.operations.lock_version).toBe(reservation.lockVersion + 1);
    const asked = await f.t.dataSource
      .getRepository(ReservationStatusHistory)
      .findOneByOrFail({ reservationId: reservation.id, actor: 'admin:alice' });
    expect(asked).toMatchObject({ fromStatus: 'CONFIRMED_INTERNAL', toStatus: 'CONFIRMED_INTERNAL', cause: expect.stringContaining('retry') });

    await f.settle();
    const booked = await f.reservation(reservation.code);
    expect(booked.status).toBe(ReservationStatus.SUPPLIER_CONFIRMED);
    expect(booked.needsAttention).toBe(false);

    const again = await admin('post', `/reservations/${reservation.code}/supplier-booking/retry`).send({ lock_version: booked.lockVersion }).expect(409);
    expect(again.body.code).toBe('RESERVATION.ACTION_NOT_ALLOWED');
    await admin('post', '/reservations/ZZZZ2345/supplier-booking/retry').send({ lock_version: 1 }).expect(404);
    await admin('post', `/reservations/${reservation.code}/supplier-booking/retry`).send({ lock_version: 'one' }).expect(422);
  });

  it('refund: what was captured, once, → REFUNDED, with who asked and why', async () => {
    const reservation = await rejected();
    const refunded = await admin('post', `/reservations/${reservation.code}/refund`)
      .send({ lock_version: reservation.lockVersion, reason: 'No car anywhere for these dates' })
      .expect(200);
    expect(refunded.body).toMatchObject({
      status: 'REFUNDED',
      progress: { payment: 'refunded', supplier: 'cancelled' },
      operations: { refunded_amount: 18950, needs_attention: false, refund_requested_at: expect.any(String) },
    });
    expect(refunded.body.operations.refund_id).toMatch(/^re_/);
    expect(f.sandbox.refundedAmount(reservation.paymentIntentId!)).toBe(18950);
    const last = await lastHistory(reservation);
    expect(last).toMatchObject({ fromStatus: 'CONFIRMED_INTERNAL', toStatus: 'REFUNDED', actor: 'admin:alice' });
    expect(last.cause).toContain('No car anywhere');

    const twice = await admin('post', `/reservations/${reservation.code}/refund`)
      .send({ lock_version: refunded.body.operations.lock_version, reason: 'again' })
      .expect(409);
    expect(twice.body.code).toBe('RESERVATION.ACTION_NOT_ALLOWED');
    expect(f.sandbox.refundedAmount(reservation.paymentIntentId!)).toBe(18950);
  });

  it('a refund Stripe refuses is reported (502), changes no status, and is in the history', async () => {
    const reservation = await rejected();
    f.sandbox.injectFault({ operation: 'create_refund', mode: 'error', status: 400, count: 1 });
    const failed = await admin('post', `/reservations/${reservation.code}/refund`)
      .send({ lock_version: reservation.lockVersion, reason: 'Supplier cannot serve it' })
      .expect(502);
    expect(failed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(failed.body).toMatchObject({ status: 502, code: 'PAYMENT.REFUND_FAILED' });
    const after = await f.reservation(reservation.code);
    expect(after).toMatchObject({ status: ReservationStatus.CONFIRMED_INTERNAL, refundRequestedAt: null, refundId: null });
    expect((await lastHistory(reservation)).cause).toMatch(/^refund failed: /);
    expect(f.sandbox.refundedAmount(reservation.paymentIntentId!)).toBe(0);
  });

  it('the money-safety check lists paid reservations neither booked nor refunded, past the age', async () => {
    const stuck = await rejected();
    const fine = await f.reserveAndPay();
    await f.settle();
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    for (const code of [stuck.code, fine]) {
      await f.t.dataSource.getRepository(Reservation).update({ code }, { paidAt: twoHoursAgo });
    }
    const report = await admin('get', '/money-safety').expect(200);
    const codes = report.body.reservations.map((r: { reservation_code: string }) => r.reservation_code);
    expect(codes).toContain(stuck.code);
    expect(codes).not.toContain(fine);
    expect(report.body.reservations.find((r: { reservation_code: string }) => r.reservation_code === stuck.code)).toMatchObject({
      status: 'CONFIRMED_INTERNAL',
      needs_attention: true,
      age_minutes: expect.any(Number),
    });
    const younger = await admin('get', '/money-safety').query({ older_than_minutes: 600 }).expect(200);
    expect(younger.body.reservations.map((r: { reservation_code: string }) => r.reservation_code)).not.toContain(stuck.code);
  });
});
