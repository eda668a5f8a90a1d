import fc from 'fast-check';
import { TransactionRunner } from '@app/core';
import { OutboxEvent } from '@app/outbox';
import { ExpireUnpaidReservationsJob, ReconcilePaymentsJob } from '@app/payments';
import {
  ALLOWED_TRANSITIONS,
  Reservation,
  ReservationStatus,
  ReservationStatusHistory,
} from '@app/reservations';
import { DATABASE_KINDS } from '../support/test-database';
import { PAID_OR_LATER, PaymentFixture, startPaymentFixture } from './payment-fixture';

type Step =
  | { kind: 'customer'; action: 'fail' | 'process' | 'succeed' }
  | { kind: 'deliver'; pick: number }
  | { kind: 'expire' }
  | { kind: 'reconcile' }
  | { kind: 'drain' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('customer' as const),
    action: fc.constantFrom('fail' as const, 'process' as const, 'succeed' as const),
  }),
  fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat() }),
  fc.constant({ kind: 'expire' as const }),
  fc.constant({ kind: 'reconcile' as const }),
  fc.constant({ kind: 'drain' as const }),
);

type Capture = 'immediate' | 'after_supplier_confirmation';

/** With a hold, the money is held (or taken, or given back) from AUTHORIZED on: booking starts there. */
const HELD_OR_LATER = [
  ReservationStatus.AUTHORIZED,
  ReservationStatus.CONFIRMED_INTERNAL,
  ReservationStatus.SUPPLIER_CONFIRMED,
  ReservationStatus.RELEASED,
];
/** Still held: the supplier cannot be reached here, so no capture and no release ever comes. */
const HELD = [ReservationStatus.AUTHORIZED, ReservationStatus.CONFIRMED_INTERNAL];

/**
 * Random sequences of what Stripe, the customer and our jobs can do to one reservation —
 * events of any type, duplicated and reordered, expiry ticks, reconciliation runs, outbox
 * drains — checking the lifecycle's promises after every step, with the card charged at once
 * and with the money held until the supplier books (which it never does here: no supplier).
 */
describe.each(
  DATABASE_KINDS.flatMap((kind) =>
    (['immediate', 'after_supplier_confirmation'] as Capture[]).map((capture) => [kind, capture] as const),
  ),
)('payment lifecycle properties on %s, PAYMENT_CAPTURE=%s', (kind, capture) => {
  let f: PaymentFixture;
  const held = capture === 'after_supplier_confirmation';
  /** Where a payment the customer made (or a hold placed) has taken the reservation. */
  const TAKEN = held ? HELD_OR_LATER : PAID_OR_LATER;

  beforeAll(async () => {
    f = await startPaymentFixture(kind, { PAYMENT_CAPTURE: capture });
  });
  afterAll(async () => {
    await f.close();
  });

  it('status only moves forward, a success (or a hold) is never lost, and such a reservation has exactly one BOOK_WITH_SUPPLIER', async () => {
    const reservations = f.t.dataSource.getRepository(Reservation);
    const backdate = (code: string) =>
      reservations.update(
        { code },
        { createdAt: new Date(Date.now() - 31 * 60_000), updatedAt: new Date(Date.now() - 31 * 60_000) },
      );

    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const created = await f.reserve();
        const code = created.reservation_code;
        const intentId = created.payment!.payment_intent_id;
        const events = () =>
          f.sandbox.events().filter((event) => (event.data.object as { id: string }).id === intentId);

        // One consistent read (the drainer may be applying a cancellation in the background).
        const check = () =>
          f.t.app.get(TransactionRunner).run(async (manager) => {
            const reservation = await manager.findOneByOrFail(Reservation, { code });
            const rows = await manager.find(ReservationStatusHistory, {
              where: { reservationId: reservation.id },
              order: { id: 'ASC' },
            });
            for (const row of rows.slice(1))
              expect(ALLOWED_TRANSITIONS[row.fromStatus!]).toContain(row.toStatus);
            expect(rows.at(-1)!.toStatus).toBe(reservation.status);
            // Supplier booking starts as soon as it is PAID (AUTHORIZED with a hold): beyond it is paid too.
            const paid = TAKEN.includes(reservation.status);
            // A hold is never captured without a supplier's booking, and none comes here.
            expect(held && f.sandbox.paymentIntent(intentId)!.status === 'succeeded').toBe(false);
            expect(
              await manager.countBy(OutboxEvent, { type: 'BOOK_WITH_SUPPLIER', aggregateId: code }),
            ).toBe(paid ? 1 : 0);
            return reservation;
          });

        for (const s of steps) {
          const intent = f.sandbox.paymentIntent(intentId)!;
          if (
            s.kind === 'customer' &&
            !['succeeded', 'canceled', 'requires_capture'].includes(intent.status)
          ) {
            await f.sandbox[s.action](intentId, { deliver: false });
          } else if (s.kind === 'deliver' && events().length > 0) {
            const event = events()[s.pick % events().length];
            await f.postEvent(JSON.stringify(event)).expect(200);
          } else if (s.kind === 'expire') {
            await backdate(code);
            await f.t.app.get(ExpireUnpaidReservationsJob).expire(code, new Date(Date.now() - 30 * 60_000));
          } else if (s.kind === 'reconcile') {
            await backdate(code);
            await f.t.app.get(ReconcilePaymentsJob).run();
          } else if (s.kind === 'drain') {
            await f.drainNow();
          }
          await check();
        }

        // Everything Stripe said finally arrives: a succeeded payment (or a hold) is never lost.
        for (const event of events()) await f.postEvent(JSON.stringify(event)).expect(200);
        const final = await check();
        const status = f.sandbox.paymentIntent(intentId)!.status;
        // Charged at once: PAID or beyond iff the intent succeeded. Held: still held iff the intent holds the money.
        const [ended, money] = held
          ? [HELD.includes(final.status), status === 'requires_capture']
          : [PAID_OR_LATER.includes(final.status), status === 'succeeded'];
        expect(ended).toBe(money);
      }),
      { numRuns: 25 },
    );
  });
});
