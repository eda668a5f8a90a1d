import { OutboxEvent, OutboxStatus } from '@app/outbox';
import { Receipt } from '@app/receipts';
import { ReservationStatus } from '@app/reservations';
import { ISSUE_RECEIPT, RETRY_SUPPLIER_BOOKING, SETTLE_REFUND } from '@app/supplier-booking';
import { aReservation } from '../support/builders';
import { DATABASE_KINDS } from '../support/test-database';
import { useIntegrationApp } from './support/integration-app';

const RETRY_BASE_SECONDS = 60;
const HOUR = 3600_000;
/** The booking client tries a call three times before a run gives up: an outage is three answers. */
const DOWN = ['unavailable', 'unavailable', 'unavailable'] as const;

/**
 * Booking with the supplier and refunds on the real database, the suppliers and Stripe faked:
 * what each supplier answer makes of a paid reservation, retries, receipts issued once, and a
 * refund never racing a booking run. Over HTTP with the simulators: test/suppliers/.
 */
describe.each(DATABASE_KINDS)('supplier booking and refunds on %s (integration)', (kind) => {
  const app = useIntegrationApp(kind, { SUPPLIER_RETRY_BASE_SECONDS: String(RETRY_BASE_SECONDS), SUPPLIER_RETRY_MAX_ATTEMPTS: '3' });

  /** Reserved, paid, the webhook applied and the outbox drained: the first booking run is over. */
  const paidAndBooked = async () => {
    const { code } = await app().createReservation(aReservation({}, { from: app().clock.now() }));
    await app().deliver(await app().pay(code));
    await app().settle();
    return code;
  };
  const receipts = (code: string) => app().dataSource.getRepository(Receipt).find({ where: { reservationCode: code }, order: { version: 'ASC' } });
  const calls = (code: string) => app().supplier.calls.filter((call) => call.reference === code).map((call) => `${call.operation}:${call.outcome}`);
  /** The next retry is due: past any backoff. */
  const laterOn = () => app().clock.advance(2 * HOUR);

  it('a confirmation: SUPPLIER_CONFIRMED with the supplier’s number, one receipt, issued once however often asked', async () => {
    const code = await paidAndBooked();
    const reservation = await app().reservation(code);
    expect(reservation).toMatchObject({ status: ReservationStatus.SUPPLIER_CONFIRMED, needsAttention: false });
    expect(reservation.supplierConfirmation).toBe(app().supplier.liveBookings(code)[0].confirmationNumber);
    expect(await app().history(code)).toContain('PAID->SUPPLIER_CONFIRMED');
    expect(await app().events(ISSUE_RECEIPT, code)).toHaveLength(1);

    // The outbox delivers at least once: the same receipt event handled again issues nothing new.
    const [issue] = await app().events(ISSUE_RECEIPT, code);
    await app().dataSource.getRepository(OutboxEvent).update(issue.id, { status: OutboxStatus.PENDING, nextAttemptAt: app().clock.now() });
    await app().settle();
    expect((await receipts(code)).map((receipt) => [receipt.version, receipt.supplierStatus])).toEqual([[1, 'confirmed']]);
  });

  it('the supplier down: CONFIRMED_INTERNAL with a pending receipt and a retry in minutes; the retry looks up, books, issues version 2', async () => {
    app().supplier.next(...DOWN);
    const code = await paidAndBooked();
    const deferred = await app().reservation(code);
    expect(deferred).toMatchObject({ status: ReservationStatus.CONFIRMED_INTERNAL, needsAttention: false, supplierAttempts: 1 });
    expect(deferred.progress).toEqual({ code: 'issued', payment: 'succeeded', supplier: 'retrying' });
    const [retry] = await app().events(RETRY_SUPPLIER_BOOKING, code);
    // Equal jitter: between half the first step and the step.
    const now = app().clock.now().getTime();
    expect(retry.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(now + (RETRY_BASE_SECONDS / 2) * 1000);
    expect(retry.nextAttemptAt!.getTime()).toBeLessThanOrEqual(now + RETRY_BASE_SECONDS * 1000);
    expect((await receipts(code)).map((receipt) => receipt.version)).toEqual([1]);

    laterOn();
    await app().settle();
    const confirmed = await app().reservation(code);
    expect(confirmed).toMatchObject({ status: ReservationStatus.SUPPLIER_CONFIRMED, supplierAttempts: 2, supplierNextRetryAt: null });
    expect(calls(code)).toEqual(['book:unavailable', 'book:unavailable', 'book:unavailable', 'lookup:confirmed', 'book:confirmed']);
    expect(app().supplier.liveBookings(code)).toHaveLength(1);
    expect((await receipts(code)).map((receipt) => receipt.version)).toEqual([1, 2]);
  });

  it('a rejection: CONFIRMED_INTERNAL flagged for operators at once, read as "rejected", no retry', async () => {
    app().supplier.next('rejected');
    const code = await paidAndBooked();
    const reservation = await app().reservation(code);
    expect(reservation).toMatchObject({ status: ReservationStatus.CONFIRMED_INTERNAL, needsAttention: true, supplierNextRetryAt: null });
    expect(reservation.progress.supplier).toBe('rejected');
    expect(await app().events(RETRY_SUPPLIER_BOOKING, code)).toHaveLength(0);
    expect(app().supplier.liveBookings(code)).toHaveLength(0);
  });

  it('the supplier books but its answer is lost: found by a lookup, booked once', async () => {
    app().supplier.next('timeoutAfterCommit');
    const code = await paidAndBooked();
    const reservation = await app().reservation(code);
    expect(reservation.status).toBe(ReservationStatus.SUPPLIER_CONFIRMED);
    expect(reservation.supplierConfirmation).toBe(app().supplier.liveBookings(code)[0].confirmationNumber);
    expect(calls(code)).toEqual(['book:timeoutAfterCommit', 'lookup:confirmed']);
    expect(app().supplier.bookings.filter((booking) => booking.reference === code)).toHaveLength(1);
  });

  it('retries run out after SUPPLIER_RETRY_MAX_ATTEMPTS: flagged, nothing more scheduled', async () => {
    app().supplier.next(...Array<'unavailable'>(30).fill('unavailable'));
    const code = await paidAndBooked();
    for (let run = 2; run <= 3; run++) {
      laterOn();
      await app().settle();
    }
    expect(await app().reservation(code)).toMatchObject({
      status: ReservationStatus.CONFIRMED_INTERNAL,
      supplierAttempts: 3,
      needsAttention: true,
      supplierNextRetryAt: null,
    });
    const retries = await app().events(RETRY_SUPPLIER_BOOKING, code);
    expect(retries.map((event) => event.status)).toEqual([OutboxStatus.DONE, OutboxStatus.DONE]);
  });

  it('a retry scheduled for an older run is stale and calls nobody', async () => {
    app().supplier.next(...DOWN);
    const code = await paidAndBooked();
    const [scheduled] = await app().events(RETRY_SUPPLIER_BOOKING, code);
    laterOn();
    await app().settle();
    expect((await app().reservation(code)).status).toBe(ReservationStatus.SUPPLIER_CONFIRMED);

    // A second retry for the same run comes late.
    await app().dataSource.query(
      `INSERT INTO outbox_events (type, lane, aggregate_type, aggregate_id, payload, status, attempts, next_attempt_at, created_at, updated_at)
       SELECT type, lane, aggregate_type, aggregate_id, payload, 'PENDING', 0, created_at, created_at, updated_at FROM outbox_events WHERE id = ?`,
      [scheduled.id],
    );
    const before = app().supplier.calls.length;
    await app().settle();
    expect(app().supplier.calls.length).toBe(before);
    expect((await app().events(RETRY_SUPPLIER_BOOKING, code)).map((event) => event.status)).toEqual([OutboxStatus.DONE, OutboxStatus.DONE]);
    expect((await app().reservation(code)).supplierAttempts).toBe(2);
  });

  it('refuses a refund (RESERVATION.BOOKING_IN_PROGRESS) while a booking run is at the supplier', async () => {
    app().supplier.next('rejected');
    const code = await paidAndBooked();
    expect(await app().retryNow(code)).toEqual({ ok: true });
    const gate = app().supplier.hold(code);
    const drained = app().drain();
    try {
      await gate.reached;
      expect(await app().refund(code)).toEqual({ ok: false, code: 'RESERVATION.BOOKING_IN_PROGRESS' });
    } finally {
      gate.release();
    }
    await drained;
    await app().settle();
    expect(await app().reservation(code)).toMatchObject({ status: ReservationStatus.SUPPLIER_CONFIRMED, refundRequestedAt: null, needsAttention: false });
    expect(app().payments.refunds).toHaveLength(0);
  });

  it('a refund whose answer is lost stays pending, blocks booking, and the outbox settles it with the same key, once', async () => {
    app().supplier.next('rejected');
    const code = await paidAndBooked();
    app().payments.script('refund', 'ambiguous');
    expect(await app().refund(code)).toEqual({ ok: true });
    expect(await app().reservation(code)).toMatchObject({ status: ReservationStatus.CONFIRMED_INTERNAL, refundState: 'UNKNOWN' });
    // Stripe did refund; we do not know it yet, and nothing may book the car meanwhile.
    expect(app().payments.refunds).toHaveLength(1);
    expect(await app().retryNow(code)).toEqual({ ok: false, code: 'RESERVATION.ACTION_NOT_ALLOWED' });

    const callsBefore = app().supplier.calls.length;
    app().clock.advance(HOUR);
    await app().settle();
    const settled = await app().reservation(code);
    expect(settled).toMatchObject({ status: ReservationStatus.REFUNDED, refundedAmount: 18950, refundState: null, needsAttention: false });
    expect(settled.refundId).toBe(app().payments.refunds[0].id);
    expect(app().payments.refunds).toHaveLength(1);
    expect(app().supplier.calls.length).toBe(callsBefore);
    expect((await app().events(SETTLE_REFUND, code)).map((event) => event.status)).toEqual([OutboxStatus.DONE]);
  });

  it('a refund Stripe refuses is PAYMENT.REFUND_FAILED, and booking goes on: a run is scheduled again', async () => {
    app().supplier.next(...DOWN);
    const code = await paidAndBooked();
    const deferred = await app().reservation(code);
    app().payments.script('refund', 'refuse');
    expect(await app().refund(code)).toEqual({ ok: false, code: 'PAYMENT.REFUND_FAILED' });
    const retries = await app().events(RETRY_SUPPLIER_BOOKING, code);
    expect(retries).toHaveLength(2);
    expect(JSON.parse(retries[1].payload)).toEqual({ reservationCode: code, afterAttempt: deferred.supplierAttempts });
    expect(await app().reservation(code)).toMatchObject({ status: ReservationStatus.CONFIRMED_INTERNAL, refundRequestedAt: null, refundState: null });

    laterOn();
    await app().settle();
    const booked = await app().reservation(code);
    expect(booked.status).toBe(ReservationStatus.SUPPLIER_CONFIRMED);
    expect(app().payments.refunds).toHaveLength(0);
    expect(app().supplier.liveBookings(code)).toHaveLength(1);
  });
});
