import { PAYMENT_CHANGED_AT_STRIPE } from '@app/payments';
import { Reservation, ReservationStatus, ReservationStatusHistory } from '@app/reservations';
import { StripeWebhookEvent } from '@app/stripe-webhook';
import { CHECK_SUPPLIER_AFTER_REFUND, HoldDeadlineJob, ISSUE_RECEIPT } from '@app/supplier-booking';
import request from 'supertest';
import { aCreateBody } from '../support/builders';
import { DATABASE_KINDS } from '../support/test-database';
import { startSupplierFixture, SupplierFixture } from './supplier-fixture';

/**
 * Money that moves at Stripe without us, over real HTTP: the sandbox plays the Stripe
 * Dashboard (a support agent's refund) and the cardholder's bank (a dispute), and sends the
 * signed events Stripe would; the product records each once, in the webhook's transaction.
 */
const MODES = ['immediate', 'after_supplier_confirmation'] as const;
const CASES = DATABASE_KINDS.flatMap((kind) => MODES.map((mode) => [kind, mode] as const));

describe.each(CASES)('money moved at Stripe on %s, PAYMENT_CAPTURE=%s', (kind, mode) => {
  let f: SupplierFixture;

  beforeAll(async () => {
    f = await startSupplierFixture(kind, { PAYMENT_CAPTURE: mode, SUPPLIER_RETRY_BASE_SECONDS: '60' });
  });
  afterAll(async () => {
    await f.close();
  });
  beforeEach(() => {
    for (const simulator of Object.values(f.simulators)) simulator.setFaults({});
    f.sandbox.clearFaults();
  });

  const booked = async () => {
    const code = await f.reserveAndPay();
    await f.settle();
    const reservation = await f.reservation(code);
    expect(reservation.status).toBe(ReservationStatus.SUPPLIER_CONFIRMED);
    return reservation;
  };
  const outcomeOf = async (eventId: string) =>
    (await f.t.dataSource.getRepository(StripeWebhookEvent).findOneByOrFail({ eventId })).outcome;
  const moneySafety = async () =>
    (await f.admin('get', '/money-safety?older_than_minutes=0').expect(200)).body.reservations as {
      reservation_code: string;
      problem: string;
      dispute_status: string | null;
      dispute_reason: string | null;
      refunded_amount: number | null;
    }[];
  /** Held (manual mode): the hold-deadline job takes the money, its deadline being near. A hold is paid only then. */
  const captureHold = async () => {
    if (mode !== 'after_supplier_confirmation') return;
    await f.t.app.get(HoldDeadlineJob).run();
    await f.settle();
  };
  /** The operators' listing of flagged reservations, as an operator reads it. */
  const operatorsView = async (code: string) => {
    const page = await f.admin('get', '/reservations?needs_attention=true&limit=100').expect(200);
    return (page.body.items as { reservation_code: string; operations: Record<string, unknown> }[]).find(
      (item) => item.reservation_code === code,
    )!;
  };
  const listed = async (code: string) =>
    (await moneySafety()).filter((entry) => entry.reservation_code === code);
  const refundInDashboard = async (reservation: Reservation, amount?: number) => {
    const result = await f.sandbox.refundInDashboard(reservation.paymentIntentId!, { amount });
    await f.acknowledge(result.event.id, result.delivery);
    return result;
  };

  it('a full Dashboard refund of a booked reservation keeps it SUPPLIER_CONFIRMED, flags it and lists it, once', async () => {
    const reservation = await booked();
    const refund = await refundInDashboard(reservation);
    expect(refund.charge).toMatchObject({ refunded: true, amount_refunded: reservation.amount });

    const flagged = await f.reservation(reservation.code);
    expect(flagged).toMatchObject({
      status: ReservationStatus.SUPPLIER_CONFIRMED,
      needsAttention: true,
      refundedAmount: reservation.amount,
      lockVersion: reservation.lockVersion + 1,
    });
    expect(flagged.supplierLastError).toMatch(/cancel the supplier booking, or charge/);
    expect(await outcomeOf(refund.event.id)).toBe('applied');
    expect(await listed(reservation.code)).toEqual([
      expect.objectContaining({
        problem: 'refunded_at_stripe_after_booking',
        refunded_amount: reservation.amount,
      }),
    ]);
    expect((await history(f, reservation)).at(-1)).toMatch(
      /^SUPPLIER_CONFIRMED->SUPPLIER_CONFIRMED: refunded .* at Stripe \(stripe charge\.refunded evt_/,
    );

    // Stripe delivers it again: recorded once, nothing changes.
    expect(await f.sandbox.deliver(refund.event.id)).toBe(200);
    expect((await f.reservation(reservation.code)).lockVersion).toBe(flagged.lockVersion);
    expect((await operatorsView(reservation.code)).operations).toMatchObject({
      needs_attention: true,
      refunded_amount: reservation.amount,
    });
  });

  it('a partial Dashboard refund is recorded, totals add up, and nobody is flagged', async () => {
    const reservation = await booked();
    await refundInDashboard(reservation, 1000);
    await refundInDashboard(reservation, 500);

    const after = await f.reservation(reservation.code);
    expect(after).toMatchObject({
      status: ReservationStatus.SUPPLIER_CONFIRMED,
      needsAttention: false,
      refundedAmount: 1500,
    });
    expect(await listed(reservation.code)).toEqual([]);
    expect((await history(f, reservation)).slice(-2)).toEqual([
      expect.stringMatching(
        /^SUPPLIER_CONFIRMED->SUPPLIER_CONFIRMED: refunded 10\.00 of \d+\.\d\d EUR at Stripe/,
      ),
      expect.stringMatching(
        /^SUPPLIER_CONFIRMED->SUPPLIER_CONFIRMED: refunded 15\.00 of \d+\.\d\d EUR at Stripe/,
      ),
    ]);
    // An older event arriving late tells nothing new: the total only grows.
    const first = f.sandbox
      .events()
      .filter(
        (event) =>
          event.type === 'charge.refunded' &&
          (event.data.object as { payment_intent: string }).payment_intent === reservation.paymentIntentId,
      )[0];
    const stale = await f.sandbox.deliver(first.id);
    expect(stale).toBe(200);
    expect((await f.reservation(reservation.code)).refundedAmount).toBe(1500);
  });

  it('a full Dashboard refund while the supplier is down makes it REFUNDED, stops its booking and checks the supplier', async () => {
    f.simulators.HERTZ.setFaults({ errorRate: 1 });
    // A hold is refundable only once captured: its deadline near, the policy `capture` takes the money.
    const code = await f.reserveAndPay('HERTZ', {
      capture_before: Math.floor(Date.now() / 1000) + 11 * 3600,
    });
    await f.settle();
    await captureHold();
    const reservation = await f.reservation(code);
    expect(reservation).toMatchObject({
      status: ReservationStatus.CONFIRMED_INTERNAL,
      paidAt: expect.any(Date),
    });

    await refundInDashboard(reservation);
    const refunded = await f.reservation(code);
    expect(refunded).toMatchObject({
      status: ReservationStatus.REFUNDED,
      refundedAmount: reservation.amount,
      refundId: null,
      needsAttention: false,
      supplierNextRetryAt: null,
    });
    expect((await f.lookup(code)).progress).toMatchObject({ payment: 'refunded', supplier: 'cancelled' });
    expect((await history(f, reservation)).at(-1)).toMatch(
      /^CONFIRMED_INTERNAL->REFUNDED: refunded .* at Stripe/,
    );
    expect(await f.events(PAYMENT_CHANGED_AT_STRIPE, code)).toHaveLength(1);
    await f.settle();
    // Its runs reached the supplier: a while later the supplier is asked whether it booked all the same.
    expect(await f.events(CHECK_SUPPLIER_AFTER_REFUND, code)).toHaveLength(1);

    // The supplier is back: nothing books a refunded reservation.
    f.simulators.HERTZ.setFaults({});
    await f.drainNow();
    await f.settle();
    expect(f.simulators.HERTZ.bookings().get(code)).toBeUndefined();
    expect((await f.reservation(code)).status).toBe(ReservationStatus.REFUNDED);
  });

  it('a dispute is flagged with its reason and status, listed while open or lost, and never reopened by a late event', async () => {
    const reservation = await booked();
    const opened = await f.sandbox.openDispute(reservation.paymentIntentId!, {
      reason: 'product_not_received',
    });
    await f.acknowledge(opened.event.id, opened.delivery);

    const disputed = await f.reservation(reservation.code);
    expect(disputed).toMatchObject({
      status: ReservationStatus.SUPPLIER_CONFIRMED,
      needsAttention: true,
      disputeId: opened.dispute.id,
      disputeStatus: 'needs_response',
      disputeReason: 'product_not_received',
    });
    expect(disputed.disputedAt).toEqual(expect.any(Date));
    expect(await listed(reservation.code)).toEqual([
      expect.objectContaining({
        problem: 'dispute_open',
        dispute_status: 'needs_response',
        dispute_reason: 'product_not_received',
      }),
    ]);

    const lost = await f.sandbox.closeDispute(opened.dispute.id, { status: 'lost' });
    await f.acknowledge(lost.event.id, lost.delivery);
    expect(await f.reservation(reservation.code)).toMatchObject({
      disputeStatus: 'lost',
      needsAttention: true,
    });
    expect(await listed(reservation.code)).toEqual([
      expect.objectContaining({ problem: 'dispute_lost', dispute_status: 'lost' }),
    ]);

    // The opening event again, under a new id (Stripe resends events it thinks were missed): still lost.
    const before = await f.reservation(reservation.code);
    expect(await f.sandbox.deliver(opened.event.id)).toBe(200);
    expect(await f.reservation(reservation.code)).toMatchObject({
      disputeStatus: 'lost',
      lockVersion: before.lockVersion,
    });
    expect((await operatorsView(reservation.code)).operations).toMatchObject({
      dispute_id: opened.dispute.id,
      dispute_status: 'lost',
      dispute_reason: 'product_not_received',
      disputed_at: expect.any(String),
    });
  });

  it('a dispute won is kept and no longer listed', async () => {
    const reservation = await booked();
    const opened = await f.sandbox.openDispute(reservation.paymentIntentId!);
    await f.acknowledge(opened.event.id, opened.delivery);
    expect(await listed(reservation.code)).toEqual([
      expect.objectContaining({ problem: 'dispute_open', dispute_reason: 'fraudulent' }),
    ]);
    const won = await f.sandbox.closeDispute(opened.dispute.id, { status: 'won' });
    await f.acknowledge(won.event.id, won.delivery);
    expect(await f.reservation(reservation.code)).toMatchObject({
      disputeStatus: 'won',
      disputeReason: 'fraudulent',
    });
    expect(await listed(reservation.code)).toEqual([]);
    expect(await outcomeOf(won.event.id)).toBe('applied');
  });
});

describe.each(DATABASE_KINDS)('Stripe events of our own money movements on %s', (kind) => {
  let f: SupplierFixture;

  afterEach(async () => {
    await f?.close();
  });

  it("an operator's refund: Stripe's charge.refunded for it records nothing twice, and the operator's reason stays", async () => {
    f = await startSupplierFixture(kind, { PAYMENT_CAPTURE: 'immediate' });
    const rejected = await f.rejected();
    const refunded = await f
      .admin('post', `/reservations/${rejected.code}/refund`)
      .send({ reason: 'no car', lock_version: rejected.lockVersion })
      .expect(200);
    expect(refunded.body.status).toBe(ReservationStatus.REFUNDED);
    // The sandbox sends charge.refunded for the API refund, as Stripe does: wait for it.
    const echo = f.sandbox
      .events()
      .find(
        (event) =>
          event.type === 'charge.refunded' &&
          (event.data.object as { payment_intent: string }).payment_intent === rejected.paymentIntentId,
      );
    expect(echo).toBeDefined();
    await f.acknowledge(echo!.id, null);

    const after = await f.reservation(rejected.code);
    expect(after).toMatchObject({
      status: ReservationStatus.REFUNDED,
      refundedAmount: rejected.amount,
      refundId: expect.stringMatching(/^re_/),
    });
    const refunds = (await history(f, after)).filter((line) => line.includes('->REFUNDED'));
    expect(refunds).toEqual([expect.stringMatching(/^CONFIRMED_INTERNAL->REFUNDED: refunded .*: no car$/)]);
    expect(
      f.sandbox.refunds().filter((refund) => refund.payment_intent === rejected.paymentIntentId),
    ).toHaveLength(1);
  });

  it('a hold that expires at Stripe while the supplier is down releases the reservation, and its "held" receipt gets a version saying nothing was charged', async () => {
    f = await startSupplierFixture(kind, {
      PAYMENT_CAPTURE: 'after_supplier_confirmation',
      SUPPLIER_RETRY_BASE_SECONDS: '60',
    });
    f.simulators.HERTZ.setFaults({ errorRate: 1 });
    const code = await f.reserveAndPay();
    await f.settle();
    const held = await f.reservation(code);
    expect(held.status).toBe(ReservationStatus.CONFIRMED_INTERNAL);
    expect(await f.receipts(code)).toEqual(['1:pending:held']);

    const expired = await f.sandbox.expireAuthorization(held.paymentIntentId!);
    await f.acknowledge(expired.event.id, expired.delivery);
    await f.settle();

    const released = await f.reservation(code);
    expect(released).toMatchObject({
      status: ReservationStatus.RELEASED,
      capturedAt: null,
      needsAttention: false,
    });
    expect(released.paymentIntentCanceledAt).toEqual(expect.any(Date));
    expect((await f.lookup(code)).progress).toMatchObject({ payment: 'released', supplier: 'cancelled' });
    expect(await f.events(PAYMENT_CHANGED_AT_STRIPE, code)).toHaveLength(1);
    expect(await f.events(ISSUE_RECEIPT, code)).toHaveLength(2);
    expect(await f.receipts(code)).toEqual(['1:pending:held', '2:released:not_charged']);
    // The customer's receipt says the hold ended, not that the supplier could not book the car.
    const served = await request(f.base).get(`/api/v1/reservations/${code}/receipt`).query({ email: aCreateBody().customer.email }).expect(200);
    expect(served.body).toMatchObject({
      version: 2,
      payment_status: 'not_charged',
      supplier_status: 'released',
      supplier_note: 'The hold on your card ended before the supplier confirmed the booking: nothing was charged.',
    });
  });
});

async function history(f: SupplierFixture, reservation: Reservation): Promise<string[]> {
  const rows = await f.t.dataSource
    .getRepository(ReservationStatusHistory)
    .find({ where: { reservationId: reservation.id }, order: { id: 'ASC' } });
  return rows.map((row) => `${row.fromStatus}->${row.toStatus}: ${row.cause}`);
}
