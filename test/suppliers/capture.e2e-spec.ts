import { ExpireUnpaidReservationsJob, PaymentGateway } from '@app/payments';
import { Receipt, ReceiptContent } from '@app/receipts';
import { Reservation, ReservationStatus, ReservationStatusHistory } from '@app/reservations';
import {
  CAPTURE_PAYMENT,
  captureKeyOf,
  HoldDeadlineJob,
  ISSUE_RECEIPT,
  RELEASE_HOLD,
  RETRY_SUPPLIER_BOOKING,
} from '@app/supplier-booking';
import { DATABASE_KINDS } from '../support/test-database';
import { waitUntil } from '../support/wait-for-progress';
import { startSupplierFixture, SupplierFixture } from './supplier-fixture';

/**
 * PAYMENT_CAPTURE=after_supplier_confirmation end to end, over real HTTP: the Stripe sandbox
 * holds the money, the supplier simulators book, and the product captures only what was booked.
 */
describe.each(DATABASE_KINDS)('authorize, book, then capture on %s', (kind) => {
  let f: SupplierFixture;

  beforeAll(async () => {
    f = await startSupplierFixture(kind, {
      PAYMENT_CAPTURE: 'after_supplier_confirmation',
      SUPPLIER_RETRY_BASE_SECONDS: '60',
    });
  });
  afterAll(async () => {
    await f.close();
  });
  beforeEach(() => {
    for (const simulator of Object.values(f.simulators)) simulator.setFaults({});
    f.sandbox.clearFaults();
  });

  const history = async (code: string) => {
    const reservation = await f.reservation(code);
    const rows = await f.t.dataSource
      .getRepository(ReservationStatusHistory)
      .find({ where: { reservationId: reservation.id }, order: { id: 'ASC' } });
    return rows.map((row) => `${row.fromStatus}->${row.toStatus}: ${row.cause}`);
  };
  const receipts = (code: string) => f.receipts(code);
  const moneySafetyProblem = async (code: string) => {
    const report = await f.admin('get', '/money-safety?older_than_minutes=0').expect(200);
    return (report.body.reservations as { reservation_code: string; problem: string }[]).find(
      (entry) => entry.reservation_code === code,
    )?.problem;
  };
  const intentOf = (reservation: Reservation) => f.sandbox.paymentIntent(reservation.paymentIntentId!)!;
  const eventsAtStripe = (reservation: Reservation, type: string) =>
    f.sandbox
      .events()
      .filter(
        (event) =>
          event.type === type &&
          (event.data.object as { id?: string; payment_intent?: string }).id === reservation.paymentIntentId,
      );

  it('holds the money, books, then captures it exactly once: SUPPLIER_CONFIRMED, payment succeeded', async () => {
    const code = await f.reserveAndPay();
    await f.settle();

    const reservation = await f.reservation(code);
    expect(reservation).toMatchObject({
      status: ReservationStatus.SUPPLIER_CONFIRMED,
      captureMethod: 'manual',
      needsAttention: false,
    });
    expect(reservation.supplierConfirmation).toBe(f.simulators.HERTZ.bookings().get(code));
    expect(reservation.authorizedAt).toEqual(expect.any(Date));
    expect(reservation.capturedAt!.getTime()).toBeGreaterThanOrEqual(reservation.authorizedAt!.getTime());
    expect((await f.lookup(code)).progress).toEqual({
      code: 'issued',
      payment: 'succeeded',
      supplier: 'confirmed',
    });
    // Captured once, after the booking: the hold, then the supplier's booking, then the capture.
    const intent = intentOf(reservation);
    expect(intent).toMatchObject({
      status: 'succeeded',
      capture_method: 'manual',
      amount_received: reservation.amount,
    });
    expect(eventsAtStripe(reservation, 'payment_intent.succeeded')).toHaveLength(1);
    const moves = (await history(code)).map((line) => line.split(':')[0]);
    expect(moves).toEqual([
      'null->CREATED',
      'CREATED->PAYMENT_IN_PROGRESS',
      'PAYMENT_IN_PROGRESS->AUTHORIZED',
      'AUTHORIZED->AUTHORIZED',
      'AUTHORIZED->SUPPLIER_CONFIRMED',
    ]);
    expect(await f.events(CAPTURE_PAYMENT, code)).toHaveLength(1);
    expect(await f.events(ISSUE_RECEIPT, code)).toHaveLength(1);
    expect(await receipts(code)).toEqual(['1:confirmed:charged']);
  });

  it('a supplier refusal cancels the hold and never captures: RELEASED, nothing charged, nothing to refund', async () => {
    const capturesBefore = f.sandbox.calls('capture_payment_intent');
    f.simulators.HERTZ.setFaults({ rejectionRate: 1 });
    const code = await f.reserveAndPay();
    await f.settle();

    const reservation = await f.reservation(code);
    expect(reservation).toMatchObject({
      status: ReservationStatus.RELEASED,
      needsAttention: false,
      capturedAt: null,
    });
    expect(reservation.releasedAt).toEqual(expect.any(Date));
    expect(reservation.paymentIntentCanceledAt).toEqual(expect.any(Date));
    expect((await f.lookup(code)).progress).toEqual({
      code: 'issued',
      payment: 'released',
      supplier: 'rejected',
    });
    expect(intentOf(reservation)).toMatchObject({ status: 'canceled', amount_received: 0 });
    expect(f.sandbox.calls('capture_payment_intent')).toBe(capturesBefore);
    expect(
      f.sandbox.refunds().filter((refund) => refund.payment_intent === reservation.paymentIntentId),
    ).toHaveLength(0);
    expect(await f.events(RELEASE_HOLD, code)).toHaveLength(1);
    // Released straight from AUTHORIZED: no receipt had been issued, so none says anything.
    expect(await f.events(ISSUE_RECEIPT, code)).toHaveLength(0);
  });

  it('a supplier outage keeps the hold (CONFIRMED_INTERNAL, payment authorized); the retry books and captures', async () => {
    f.simulators.HERTZ.setFaults({ errorRate: 1 });
    const code = await f.reserveAndPay();
    await f.settle();

    const deferred = await f.reservation(code);
    expect(deferred).toMatchObject({
      status: ReservationStatus.CONFIRMED_INTERNAL,
      capturedAt: null,
      captureRequestedAt: null,
    });
    expect(deferred.progress).toEqual({ code: 'issued', payment: 'authorized', supplier: 'retrying' });
    // What the customer reads: the money held, not taken.
    expect(await f.lookup(code)).toMatchObject({
      status: ReservationStatus.CONFIRMED_INTERNAL,
      progress: { code: 'issued', payment: 'authorized', supplier: 'retrying' },
    });
    expect(intentOf(deferred).status).toBe('requires_capture');
    expect(await f.events(ISSUE_RECEIPT, code)).toHaveLength(1);

    f.simulators.HERTZ.setFaults({});
    await f.drainNow();
    await f.settle();
    const confirmed = await f.reservation(code);
    expect(confirmed).toMatchObject({ status: ReservationStatus.SUPPLIER_CONFIRMED, supplierAttempts: 2 });
    expect(confirmed.progress).toEqual({ code: 'issued', payment: 'succeeded', supplier: 'confirmed' });
    expect(intentOf(confirmed)).toMatchObject({ status: 'succeeded', amount_received: confirmed.amount });
    expect(eventsAtStripe(confirmed, 'payment_intent.succeeded')).toHaveLength(1);
    expect((await history(code)).map((line) => line.split(':')[0])).toEqual(
      expect.arrayContaining(['AUTHORIZED->CONFIRMED_INTERNAL', 'CONFIRMED_INTERNAL->SUPPLIER_CONFIRMED']),
    );
    // The first receipt said the money was held; the second, once captured, that it was charged.
    expect(await receipts(code)).toEqual(['1:pending:held', '2:confirmed:charged']);
  });

  it('a hold kept through an outage, then refused: the receipt that said "held" gets a version that says nothing was charged', async () => {
    f.simulators.HERTZ.setFaults({ errorRate: 1 });
    const code = await f.reserveAndPay();
    await f.settle();
    expect(await receipts(code)).toEqual(['1:pending:held']);

    f.simulators.HERTZ.setFaults({ rejectionRate: 1 });
    await f.drainNow();
    await f.settle();
    const released = await f.reservation(code);
    expect(released).toMatchObject({
      status: ReservationStatus.RELEASED,
      capturedAt: null,
      needsAttention: false,
    });
    expect(intentOf(released).status).toBe('canceled');
    expect(await receipts(code)).toEqual(['1:pending:held', '2:released:not_charged']);
    const receipt = await f.t.dataSource
      .getRepository(Receipt)
      .findOneByOrFail({ reservationCode: code, version: 2 });
    expect((JSON.parse(receipt.content) as ReceiptContent).supplier_note).toMatch(/nothing was charged/);
  });

  it('the expiry of an unpaid reservation meets a hold whose webhook was lost: the hold wins, it is booked and captured', async () => {
    const created = await f.reserve();
    const code = created.reservation_code;
    await f.sandbox.succeed(created.payment!.payment_intent_id, { deliver: false });
    await f.t.dataSource
      .getRepository(Reservation)
      .update({ code }, { createdAt: new Date(Date.now() - 31 * 60_000) });

    expect(
      await f.t.app.get(ExpireUnpaidReservationsJob).expire(code, new Date(Date.now() - 30 * 60_000)),
    ).toBe(true);
    await f.settle();

    const reservation = await f.reservation(code);
    expect(reservation.status).toBe(ReservationStatus.SUPPLIER_CONFIRMED);
    expect(intentOf(reservation)).toMatchObject({ status: 'succeeded', amount_received: reservation.amount });
    expect((await history(code)).map((line) => line.split(':')[0])).toEqual(
      expect.arrayContaining([
        'PAYMENT_IN_PROGRESS->EXPIRED',
        'EXPIRED->AUTHORIZED',
        'AUTHORIZED->SUPPLIER_CONFIRMED',
      ]),
    );
  });

  it('a capture whose answer is lost after Stripe captured is repeated with the same key: captured once', async () => {
    const capturesBefore = f.sandbox.calls('capture_payment_intent');
    f.sandbox.injectFault({ operation: 'capture_payment_intent', mode: 'commit_then_timeout', count: 1 });
    const code = await f.reserveAndPay();
    await f.settle();
    // The first answer never came: the outbox tries again later; make it due now.
    await f.drainNow();
    await f.settle();

    const reservation = await f.reservation(code);
    expect(reservation.status).toBe(ReservationStatus.SUPPLIER_CONFIRMED);
    expect(f.sandbox.calls('capture_payment_intent') - capturesBefore).toBeGreaterThanOrEqual(2);
    expect(intentOf(reservation)).toMatchObject({ status: 'succeeded', amount_received: reservation.amount });
    expect(eventsAtStripe(reservation, 'payment_intent.succeeded')).toHaveLength(1);
    const [capture] = await f.events(CAPTURE_PAYMENT, code);
    expect(capture.attempts).toBeGreaterThanOrEqual(2);
    // Every capture request carried the reservation's one key: the first captured, the retries were
    // Stripe's replays of it. Another key would have been a second capture, which Stripe refuses.
    const captures = f.sandbox
      .requests('capture_payment_intent')
      .filter((entry) => entry.path === `/v1/payment_intents/${reservation.paymentIntentId}/capture`);
    expect(captures.length).toBeGreaterThanOrEqual(2);
    expect(captures.map((entry) => entry.idempotency_key)).toEqual(captures.map(() => `reservation-${code}-capture`));
    expect(captures.map((entry) => entry.outcome)).toEqual(['performed', ...captures.slice(1).map(() => 'replayed')]);
    expect(captureKeyOf(code)).toBe(`reservation-${code}-capture`);
  });

  it('a capture Stripe refuses after the supplier booked (the hold expired, its webhook late) is flagged and listed by the money-safety check', async () => {
    const release = f.simulators.HERTZ.pause();
    let code: string;
    try {
      code = await f.reserveAndPay();
      // While the supplier works on it, the hold expires at Stripe; its webhook is late.
      const reservation = await f.reservation(code);
      await f.sandbox.expireAuthorization(reservation.paymentIntentId!, { deliver: false });
    } finally {
      release();
    }
    await f.settle();

    const flagged = await f.reservation(code!);
    expect(flagged).toMatchObject({
      status: ReservationStatus.AUTHORIZED,
      needsAttention: true,
      capturedAt: null,
    });
    expect(flagged.supplierConfirmation).toBe(f.simulators.HERTZ.bookings().get(code!));
    expect(flagged.captureLastError).toMatch(/canceled/);
    expect(flagged.progress).toEqual({ code: 'issued', payment: 'authorized', supplier: 'confirmed' });
    expect(await f.lookup(code!)).toMatchObject({
      status: ReservationStatus.AUTHORIZED,
      progress: { code: 'issued', payment: 'authorized', supplier: 'confirmed' },
    });
    const safety = await f.admin('get', '/money-safety?older_than_minutes=0').expect(200);
    expect(safety.body.reservations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ reservation_code: code!, problem: 'capture_refused' }),
      ]),
    );
  });

  /** Plays an event that used up its attempts (Stripe or the supplier down all along): DEAD, as the drainer leaves it. */
  const goneDead = async (type: string, code: string) => {
    const [event] = await f.events(type, code);
    await f.t.dataSource.query("UPDATE outbox_events SET status = 'DEAD', next_attempt_at = NULL WHERE id = ?", [event.id]);
    return event.id;
  };

  it('a booked hold whose CAPTURE_PAYMENT went DEAD is listed (capture_stalled) until it is requeued and captured', async () => {
    // Stripe refuses every capture for now: the capture is retried, then given up.
    f.sandbox.injectFault({ operation: 'capture_payment_intent', mode: 'error', status: 503 });
    const code = await f.reserveAndPay();
    await f.settle();
    const booked = await f.reservation(code);
    expect(booked).toMatchObject({ status: ReservationStatus.AUTHORIZED, captureLastError: null, capturedAt: null });
    expect(booked.supplierConfirmation).toBe(f.simulators.HERTZ.bookings().get(code));
    const dead = await goneDead(CAPTURE_PAYMENT, code);
    expect(await moneySafetyProblem(code)).toBe('capture_stalled');

    f.sandbox.clearFaults();
    await f.admin('post', `/outbox/${dead}/requeue`).expect(200);
    await f.drainNow();
    await f.settle();
    expect((await f.reservation(code)).status).toBe(ReservationStatus.SUPPLIER_CONFIRMED);
    expect(await moneySafetyProblem(code)).toBeUndefined();
  });

  it('a held reservation whose booking event went DEAD is listed (held_not_booked) until it is booked', async () => {
    f.simulators.HERTZ.setFaults({ errorRate: 1 });
    const code = await f.reserveAndPay();
    await f.settle();
    expect(await f.reservation(code)).toMatchObject({ status: ReservationStatus.CONFIRMED_INTERNAL, captureRequestedAt: null });
    expect(await moneySafetyProblem(code)).toBeUndefined();
    const dead = await goneDead(RETRY_SUPPLIER_BOOKING, code);
    const listed = await f.admin('get', '/money-safety?older_than_minutes=0').expect(200);
    expect(listed.body.reservations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ reservation_code: code, problem: 'held_not_booked', status: ReservationStatus.CONFIRMED_INTERNAL, paid_at: null }),
      ]),
    );

    f.simulators.HERTZ.setFaults({});
    await f.admin('post', `/outbox/${dead}/requeue`).expect(200);
    await f.drainNow();
    await f.settle();
    expect((await f.reservation(code)).status).toBe(ReservationStatus.SUPPLIER_CONFIRMED);
    expect(await moneySafetyProblem(code)).toBeUndefined();
  });

  it('a hold that expires while the supplier books: RELEASED first, the booking then kept and flagged (booked_after_release)', async () => {
    const before = f.simulators.HERTZ.received;
    const release = f.simulators.HERTZ.pause();
    let code: string;
    try {
      code = await f.reserveAndPay();
      // The booking run is at the supplier when the bank gives the hold back, and Stripe says so at once.
      await waitUntil(() => f.simulators.HERTZ.received > before);
      const held = await f.reservation(code);
      const expired = await f.sandbox.expireAuthorization(held.paymentIntentId!, { deliver: false });
      await f.acknowledge(expired.event.id, null);
      expect((await f.reservation(code)).status).toBe(ReservationStatus.RELEASED);
    } finally {
      release();
    }
    await f.settle();

    const flagged = await f.reservation(code!);
    expect(flagged).toMatchObject({
      status: ReservationStatus.RELEASED,
      needsAttention: true,
      capturedAt: null,
    });
    expect(flagged.supplierConfirmation).toBe(f.simulators.HERTZ.bookings().get(code!));
    expect(flagged.supplierLastError).toMatch(/cancel the supplier booking/);
    expect(intentOf(flagged).status).toBe('canceled');
    expect(await moneySafetyProblem(code!)).toBe('booked_after_release');
  });

  it('a released hold captured at Stripe all the same is flagged (captured_after_release), and a Dashboard refund settles it', async () => {
    f.simulators.HERTZ.setFaults({ rejectionRate: 1 });
    // RELEASE_HOLD's first cancellation fails: the hold is still there when someone captures it at Stripe.
    f.sandbox.injectFault({ operation: 'cancel_payment_intent', mode: 'error', status: 500, count: 1 });
    const code = await f.reserveAndPay();
    await f.settle();
    const released = await f.reservation(code);
    expect(released).toMatchObject({ status: ReservationStatus.RELEASED, paymentIntentCanceledAt: null });
    await f.t.app
      .get(PaymentGateway)
      .capturePaymentIntent(released.paymentIntentId!, `dashboard-capture-${code}`);
    await f.sandbox.webhooksDelivered();

    await f.drainNow();
    await f.settle();
    const flagged = await f.reservation(code);
    expect(flagged).toMatchObject({
      status: ReservationStatus.RELEASED,
      needsAttention: true,
      paymentIntentCanceledAt: null,
    });
    expect(flagged.captureLastError).toMatch(/refund it at Stripe/);
    expect(await moneySafetyProblem(code)).toBe('captured_after_release');

    const refund = await f.sandbox.refundInDashboard(flagged.paymentIntentId!);
    await f.acknowledge(refund.event.id, refund.delivery);
    expect(await f.reservation(code)).toMatchObject({
      status: ReservationStatus.RELEASED,
      needsAttention: false,
      refundedAmount: flagged.amount,
    });
    expect(await moneySafetyProblem(code)).toBeUndefined();
  });
});

/**
 * PAYMENT_CAPTURE_DEADLINE_POLICY, both ways, for a hold the supplier cannot book yet, with the
 * default margin (12 hours) and a hold that ends in 11: the job acts on its first run.
 */
describe.each(DATABASE_KINDS)('the hold deadline on %s', (kind) => {
  /** A fixture with the policy; a reservation held through a supplier outage, its deadline `hoursLeft` away. */
  const heldNearDeadline = async (policy: 'capture' | 'release', hoursLeft = 11, env: Record<string, string> = {}) => {
    const f = await startSupplierFixture(kind, {
      PAYMENT_CAPTURE: 'after_supplier_confirmation',
      PAYMENT_CAPTURE_DEADLINE_POLICY: policy,
      SUPPLIER_RETRY_BASE_SECONDS: '60',
      // Not set (the default, 12), unless the test sets it: the environment outlives a fixture.
      PAYMENT_CAPTURE_MARGIN_HOURS: '',
      ...env,
    });
    f.simulators.HERTZ.setFaults({ errorRate: 1 });
    const deadline = Math.floor(Date.now() / 1000) + hoursLeft * 3600;
    const code = await f.reserveAndPay('HERTZ', { capture_before: deadline });
    await f.settle();
    expect(await f.reservation(code)).toMatchObject({
      status: ReservationStatus.CONFIRMED_INTERNAL,
      captureBefore: null,
    });
    return { f, code, deadline, capturesBefore: f.sandbox.calls('capture_payment_intent') };
  };

  it('capture: learns the deadline from the charge, takes the money before it, and booking goes on', async () => {
    const { f, code, deadline, capturesBefore } = await heldNearDeadline('capture');
    try {
      expect(await f.t.app.get(HoldDeadlineJob).run()).toEqual({ learnt: 1, captured: 1, released: 0 });
      await f.settle();
      const captured = await f.reservation(code);
      expect(captured).toMatchObject({
        status: ReservationStatus.CONFIRMED_INTERNAL,
        captureRequestedAt: expect.any(Date),
        capturedAt: expect.any(Date),
      });
      expect(captured.captureBefore).toEqual(new Date(deadline * 1000));
      expect(await listedOperations(f, code)).toMatchObject({
        capture_method: 'manual',
        capture_before: new Date(deadline * 1000).toISOString(),
        capture_requested_at: expect.any(String),
        captured_at: expect.any(String),
      });
      expect(captured.progress).toEqual({ code: 'issued', payment: 'succeeded', supplier: 'retrying' });
      expect(f.sandbox.paymentIntent(captured.paymentIntentId!)).toMatchObject({
        status: 'succeeded',
        amount_received: captured.amount,
      });
      // A second run finds nothing left to decide.
      expect(await f.t.app.get(HoldDeadlineJob).run()).toEqual({ learnt: 0, captured: 0, released: 0 });

      // Booking goes on; today's refund path stays the fallback.
      f.simulators.HERTZ.setFaults({});
      await f.drainNow();
      await f.settle();
      expect((await f.reservation(code)).status).toBe(ReservationStatus.SUPPLIER_CONFIRMED);
      expect(f.sandbox.calls('capture_payment_intent') - capturesBefore).toBe(1);
      // Held, then charged while still pending with the supplier, then confirmed.
      expect(await f.receipts(code)).toEqual(['1:pending:held', '2:pending:charged', '3:confirmed:charged']);
    } finally {
      await f.close();
    }
  });

  it('release: learns the deadline, gives the hold back before it: RELEASED, nothing charged', async () => {
    const { f, code, deadline, capturesBefore } = await heldNearDeadline('release');
    try {
      expect(await f.t.app.get(HoldDeadlineJob).run()).toEqual({ learnt: 1, captured: 0, released: 1 });
      await f.settle();
      const released = await f.reservation(code);
      expect(released).toMatchObject({
        status: ReservationStatus.RELEASED,
        capturedAt: null,
        releasedAt: expect.any(Date),
      });
      expect(released.captureBefore).toEqual(new Date(deadline * 1000));
      expect(await listedOperations(f, code)).toMatchObject({
        capture_before: new Date(deadline * 1000).toISOString(),
        released_at: released.releasedAt!.toISOString(),
        captured_at: null,
      });
      expect(released.progress.payment).toBe('released');
      expect(f.sandbox.paymentIntent(released.paymentIntentId!)!.status).toBe('canceled');
      expect(f.sandbox.calls('capture_payment_intent')).toBe(capturesBefore);
      // The receipt issued while it was held gets a version that says nothing was charged.
      expect(await f.receipts(code)).toEqual(['1:pending:held', '2:released:not_charged']);
      const receipt = await f.t.dataSource.getRepository(Receipt).findOneByOrFail({ reservationCode: code, version: 2 });
      // The supplier never refused it: the note says the hold ran out of time, not that the car could not be booked.
      expect((JSON.parse(receipt.content) as ReceiptContent).supplier_note).toBe(
        'The supplier did not confirm the booking in time, so the hold on your card was released: nothing was charged.',
      );
      expect(await f.t.app.get(HoldDeadlineJob).run()).toEqual({ learnt: 0, captured: 0, released: 0 });
    } finally {
      await f.close();
    }
  });

  it('PAYMENT_CAPTURE_MARGIN_HOURS=30: a hold 20 hours from its deadline is already due (the default 12 would wait)', async () => {
    const { f, code, deadline } = await heldNearDeadline('capture', 20, { PAYMENT_CAPTURE_MARGIN_HOURS: '30' });
    try {
      expect(await f.t.app.get(HoldDeadlineJob).run()).toEqual({ learnt: 1, captured: 1, released: 0 });
      await f.settle();
      const captured = await f.reservation(code);
      expect(captured).toMatchObject({ status: ReservationStatus.CONFIRMED_INTERNAL, capturedAt: expect.any(Date) });
      expect(captured.captureBefore).toEqual(new Date(deadline * 1000));
    } finally {
      await f.close();
    }
  });

  it('the default margin (12 hours) leaves a hold 20 hours from its deadline alone, its deadline learnt and listed', async () => {
    const { f, code, deadline, capturesBefore } = await heldNearDeadline('capture', 20);
    try {
      expect(await f.t.app.get(HoldDeadlineJob).run()).toEqual({ learnt: 1, captured: 0, released: 0 });
      expect(await f.reservation(code)).toMatchObject({ status: ReservationStatus.CONFIRMED_INTERNAL, captureRequestedAt: null, capturedAt: null });
      expect(f.sandbox.calls('capture_payment_intent')).toBe(capturesBefore);
      expect(await listedOperations(f, code)).toMatchObject({
        capture_before: new Date(deadline * 1000).toISOString(),
        capture_requested_at: null,
      });
    } finally {
      await f.close();
    }
  });
});

/** The reservation's `operations` in the operators' listing (GET /admin/reservations). */
async function listedOperations(f: SupplierFixture, code: string): Promise<Record<string, unknown>> {
  const page = await f.admin('get', '/reservations').query({ limit: 100 }).expect(200);
  const item = (page.body.items as { reservation_code: string; operations: Record<string, unknown> }[]).find((entry) => entry.reservation_code === code);
  expect(item).toBeDefined();
  return item!.operations;
}
