import request from 'supertest';
import { ReservationStatus, ReservationStatusHistory } from '@app/reservations';
import { ISSUE_RECEIPT, RETRY_SUPPLIER_BOOKING, ReservationSupplierRequest } from '@app/supplier-booking';
import { DATABASE_KINDS } from '../support/test-database';
import { ADMIN_TOKEN, startSupplierFixture, SupplierFixture } from './supplier-fixture';

const RETRY_BASE_SECONDS = 60;

/** Paid reservations booked with the suppliers through the outbox, on each database. */
describe.each(DATABASE_KINDS)('supplier booking on %s', (kind) => {
  let f: SupplierFixture;

  beforeAll(async () => {
    f = await startSupplierFixture(kind, { SUPPLIER_RETRY_BASE_SECONDS: String(RETRY_BASE_SECONDS), SUPPLIER_RETRY_MAX_ATTEMPTS: '3' });
  });
  afterAll(async () => {
    await f.close();
  });
  beforeEach(() => {
    for (const simulator of Object.values(f.simulators)) simulator.setFaults({ holdMs: 2000 });
  });

  const history = async (code: string) => {
    const reservation = await f.reservation(code);
    const rows = await f.t.dataSource.getRepository(ReservationStatusHistory).find({ where: { reservationId: reservation.id }, order: { id: 'ASC' } });
    return rows.map((row) => `${row.fromStatus}->${row.toStatus}`);
  };
  const calls = (code: string) =>
    f.t.dataSource.getRepository(ReservationSupplierRequest).find({ where: { reservationCode: code }, order: { id: 'ASC' } });

  it.each(['HERTZ', 'BUDGET', 'EUROPCAR'] as const)('%s: PAID → SUPPLIER_CONFIRMED with the confirmation number, one receipt event', async (supplier) => {
    const code = await f.reserveAndPay(supplier);
    await f.settle();

    const reservation = await f.reservation(code);
    expect(reservation.status).toBe(ReservationStatus.SUPPLIER_CONFIRMED);
    expect(reservation.supplierConfirmation).toBe(f.simulators[supplier].bookings().get(code));
    expect(reservation.needsAttention).toBe(false);
    expect(await history(code)).toEqual(expect.arrayContaining(['PAID->SUPPLIER_CONFIRMED']));
    expect(await f.events(ISSUE_RECEIPT, code)).toHaveLength(1);

    const [call] = await calls(code);
    expect(call).toMatchObject({ supplierCode: supplier, attempt: 1, callIndex: 1, operation: 'book', outcome: 'confirmed' });
    expect(call.latencyMs).toBeGreaterThanOrEqual(0);
    // Masked: the builder's customer is Ana Pérez, ana@example.com, +34600111222.
    for (const body of [call.requestBody!, call.responseBody!]) {
      for (const fragment of ['Ana', 'Pérez', 'P\\u00e9rez', 'ana@example.com', '600111222']) expect(body).not.toContain(fragment);
    }
    expect(call.requestBody).toContain(code);
  });

  it('supplier down: CONFIRMED_INTERNAL with a receipt and a retry in minutes; the retry confirms, with a second receipt', async () => {
    f.simulators.HERTZ.setFaults({ errorRate: 1 });
    const startedAt = Date.now();
    const code = await f.reserveAndPay();
    await f.settle();

    const deferred = await f.reservation(code);
    expect(deferred.status).toBe(ReservationStatus.CONFIRMED_INTERNAL);
    expect(deferred.needsAttention).toBe(false);
    expect(deferred.supplierLastError).toMatch(/HTTP 503/);
    expect(deferred.progress).toEqual({ code: 'issued', payment: 'succeeded', supplier: 'retrying' });
    expect(await f.events(ISSUE_RECEIPT, code)).toHaveLength(1);
    const [retry] = await f.events(RETRY_SUPPLIER_BOOKING, code);
    // Equal jitter: at least half of the first step (60 s) away.
    expect(retry.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(startedAt + (RETRY_BASE_SECONDS / 2) * 1000);
    expect(retry.nextAttemptAt!.getTime()).toBeLessThanOrEqual(Date.now() + RETRY_BASE_SECONDS * 1000);

    f.simulators.HERTZ.setFaults({});
    await f.drainNow();
    await f.settle();
    const confirmed = await f.reservation(code);
    expect(confirmed.status).toBe(ReservationStatus.SUPPLIER_CONFIRMED);
    expect(confirmed.supplierAttempts).toBe(2);
    expect(confirmed.supplierNextRetryAt).toBeNull();
    expect(await history(code)).toEqual(expect.arrayContaining(['PAID->CONFIRMED_INTERNAL', 'CONFIRMED_INTERNAL->SUPPLIER_CONFIRMED']));
    expect(await f.events(ISSUE_RECEIPT, code)).toHaveLength(2);
    expect([...f.simulators.HERTZ.bookings().keys()].filter((reference) => reference === code)).toHaveLength(1);
    // The retry looked the booking up before booking again.
    const second = (await calls(code)).filter((call) => call.attempt === 2).map((call) => `${call.operation}:${call.outcome}`);
    expect(second).toEqual(['lookup:not_found', 'book:confirmed']);
  });

  it('a rejection reads "rejected" to the client, durably; a later run that defers or confirms clears it', async () => {
    f.simulators.EUROPCAR.setFaults({ rejectionRate: 1 });
    const code = await f.reserveAndPay('EUROPCAR');
    await f.settle();
    const rejected = await f.lookup(code);
    expect(rejected.status).toBe('CONFIRMED_INTERNAL');
    expect(rejected.progress).toEqual({ code: 'issued', payment: 'succeeded', supplier: 'rejected' });
    expect((await f.reservation(code)).supplierRejectedAt).toEqual(expect.any(Date));

    // An operator retries while the supplier is down: no longer a refusal, a retry.
    const admin = (reservation: { lockVersion: number }) =>
      request(f.base)
        .post(`/api/v1/admin/reservations/${code}/supplier-booking/retry`)
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
        .send({ lock_version: reservation.lockVersion })
        .expect(202);
    f.simulators.EUROPCAR.setFaults({ errorRate: 1 });
    await admin(await f.reservation(code));
    await f.settle();
    expect((await f.lookup(code)).progress.supplier).toBe('retrying');
    expect((await f.reservation(code)).supplierRejectedAt).toBeNull();

    // Refused again, then an operator's retry books it.
    f.simulators.EUROPCAR.setFaults({ rejectionRate: 1 });
    await admin(await f.reservation(code));
    await f.settle();
    expect((await f.lookup(code)).progress.supplier).toBe('rejected');
    f.simulators.EUROPCAR.setFaults({});
    await admin(await f.reservation(code));
    await f.settle();
    const confirmed = await f.lookup(code);
    expect(confirmed).toMatchObject({ status: 'SUPPLIER_CONFIRMED', progress: { supplier: 'confirmed' } });
    expect((await f.reservation(code)).supplierRejectedAt).toBeNull();
  });

  it('the supplier books but its answer never comes: found by lookup, booked once', async () => {
    f.simulators.EUROPCAR.setFaults({ commitThenTimeoutRate: 1, holdMs: 2000 });
    const code = await f.reserveAndPay('EUROPCAR');
    await f.settle();
    const reservation = await f.reservation(code);
    expect(reservation.status).toBe(ReservationStatus.SUPPLIER_CONFIRMED);
    expect(reservation.supplierConfirmation).toBe(f.simulators.EUROPCAR.bookings().get(code));
    expect((await calls(code)).map((call) => `${call.operation}:${call.outcome}`)).toEqual(['book:timeout', 'lookup:confirmed']);
  });
});
