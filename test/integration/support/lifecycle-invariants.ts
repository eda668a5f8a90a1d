import { In } from 'typeorm';
import { OutboxEvent, OutboxStatus } from '@app/outbox';
import { ALLOWED_TRANSITIONS, DISPUTE_ACTION_STATUSES, Reservation, ReservationStatus, ReservationStatusHistory } from '@app/reservations';
import { FakeStripeEvent } from '../../support/fakes/fake-payment-gateway';
import { MoneyAtRiskEntry } from './integration-app';
import { CAPTURE_MARGIN_HOURS, LifecycleWorld } from './lifecycle-world';

const S = ReservationStatus;
const UNPAID_OR_EXPIRED: ReservationStatus[] = [S.CREATED, S.PAYMENT_IN_PROGRESS, S.PAYMENT_FAILED, S.EXPIRED];
const PAID_OR_LATER: ReservationStatus[] = [S.PAID, S.CONFIRMED_INTERNAL, S.SUPPLIER_CONFIRMED, S.REFUNDED];
/** Outbox work that moves no money and books nothing. */
const RECEIPT_WORK = new Set(['ISSUE_RECEIPT', 'SEND_RECEIPT_EMAIL']);
const MARGIN_MS = CAPTURE_MARGIN_HOURS * 3600_000;

/**
 * The lifecycle's promises, checked against the database and the fakes' ground truth (money at
 * "Stripe" — captured, held, refunded by us or in the Dashboard, disputed — and bookings at "the
 * supplier"). During a run, work still under way (a due outbox event, a refund being settled, a
 * Stripe event not yet acknowledged) excuses a gap; `final` (after everything has been
 * delivered, drained and retried) excuses nothing.
 */
export async function checkInvariants(world: LifecycleWorld, { final }: { final: boolean }): Promise<void> {
  const reservations = await world.dataSource.getRepository(Reservation).find({ order: { id: 'ASC' } });
  const history = await world.dataSource.getRepository(ReservationStatusHistory).find({ order: { id: 'ASC' } });
  const work = await world.dataSource
    .getRepository(OutboxEvent)
    .find({ where: { aggregateType: 'reservation', status: In([OutboxStatus.PENDING, OutboxStatus.PROCESSING]) } });
  // What operators are shown; read once everything has settled.
  const atRisk = final ? await world.moneySafety(0) : [];
  const violations: string[] = [];

  for (const r of reservations) {
    const fail = (invariant: string, message: string) => violations.push(`${r.code} ${invariant}: ${message}`);
    const intents = world.payments.intentsOf(r.code);
    const intent = intents.find((candidate) => candidate.id === r.paymentIntentId);
    const captured = intents.reduce((sum, i) => sum + i.captured, 0);
    const captures = intents.reduce((sum, i) => sum + i.captures, 0);
    const refunds = intents.flatMap((i) => world.payments.refundsOf(i.id));
    const refunded = refunds.reduce((sum, refund) => sum + refund.amount, 0);
    const ours = intents.flatMap((i) => world.payments.apiRefundsOf(i.id));
    const refundedInFull = captured > 0 && refunded >= captured;
    const disputes = intents.map((i) => world.payments.disputeOf(i.id)).filter((dispute) => dispute !== undefined);
    const bookings = world.supplier.bookings.filter((booking) => booking.reference === r.code);
    const live = world.supplier.liveBookings(r.code);
    const pending = work.filter((event) => event.aggregateId === r.code && !RECEIPT_WORK.has(event.type));
    const undelivered = (type: (event: FakeStripeEvent) => boolean) =>
      world.payments.events.some((event) => !event.acknowledged && type(event) && intents.some((i) => i.id === event.paymentIntentId));
    const successUndelivered = undelivered((event) => event.type === 'payment_intent.succeeded');
    const holdNewsUndelivered = undelivered((event) => event.type === 'payment_intent.amount_capturable_updated' || event.type === 'payment_intent.canceled');
    const refundNewsUndelivered = undelivered((event) => event.type === 'charge.refunded');
    const disputeNewsUndelivered = undelivered((event) => event.type.startsWith('charge.dispute.'));
    const refundUnderWay = r.refundRequestedAt !== null;
    const underWay = !final && (pending.length > 0 || refundUnderWay || successUndelivered);

    // 1. Captured money is booked, refunded (by us or in the Dashboard), flagged for an operator,
    // or still being worked on.
    if (captured - refunded > 0 && live.length === 0 && !r.needsAttention && !underWay) {
      fail('I1 money accounted', `${captured - refunded} captured and kept, no supplier booking, needs_attention false, nothing under way`);
    }
    // 2. At most one booking per reservation at the supplier; SUPPLIER_CONFIRMED means the supplier holds it.
    if (bookings.length > 1) fail('I2 one booking', `${bookings.length} bookings at the supplier`);
    if (r.status === S.SUPPLIER_CONFIRMED && !live.some((booking) => booking.confirmationNumber === r.supplierConfirmation)) {
      fail('I2 one booking', `SUPPLIER_CONFIRMED as ${r.supplierConfirmation} but the supplier holds ${JSON.stringify(live)}`);
    }
    // A confirmation kept (a held booking awaiting its capture, one kept after a refund or a release) is the supplier's.
    if (r.supplierConfirmation !== null && !bookings.some((booking) => booking.confirmationNumber === r.supplierConfirmation)) {
      fail('I2 one booking', `keeps supplier confirmation ${r.supplierConfirmation} the supplier never gave: ${JSON.stringify(bookings)}`);
    }
    // 3. Never REFUNDED with a live supplier booking unless flagged, with the confirmation kept.
    // Extended to RELEASED: a booking that lands on a released hold is kept and flagged "as after
    // a refund" (docs/lifecycle.md, `booked_after_release`): nobody pays for that car either.
    if ((r.status === S.REFUNDED || r.status === S.RELEASED) && live.length > 0 && (final || pending.length === 0)) {
      if (!r.needsAttention || r.supplierConfirmation !== live[0].confirmationNumber) {
        fail(
          'I3 refunded and booked',
          `${r.status} while the supplier holds ${live[0].confirmationNumber}; needs_attention ${r.needsAttention}, supplier_confirmation ${r.supplierConfirmation}`,
        );
      }
    }
    // 4. The status history tells the status, one allowed step at a time.
    const rows = history.filter((row) => row.reservationId === r.id);
    checkHistory(rows, r, (message) => fail('I4 history', message));
    // 5. lock_version only grows.
    const seen = world.lockVersions.get(r.code) ?? 0;
    if (r.lockVersion < seen) fail('I5 lock_version', `went back from ${seen} to ${r.lockVersion}`);
    world.lockVersions.set(r.code, Math.max(seen, r.lockVersion));
    // 6. We refund at most once, never more than captured; a success is never lost. Dashboard
    // refunds are not ours: they are counted in what Stripe refunded, not as a second refund.
    for (const i of intents) {
      const made = world.payments.apiRefundsOf(i.id);
      if (made.length > 1) fail('I6 refund once', `${made.length} refunds of ${i.id} made by us`);
      if (world.payments.refundedOf(i.id) > i.captured) fail('I6 refund once', `${i.id} refunded more than captured`);
    }
    if (r.status === S.REFUNDED) {
      if (!refundedInFull) fail('I6 refund', `REFUNDED but Stripe captured ${captured} and refunded ${refunded}`);
      // Our refund names its id; one made at Stripe alone (the Dashboard's, charge.refunded) names none.
      if (r.refundId === null ? !refunds.some((refund) => refund.origin === 'dashboard') : !refunds.some((refund) => refund.id === r.refundId)) {
        fail('I6 refund', `REFUNDED as ${r.refundId}, Stripe has ${JSON.stringify(refunds)}`);
      }
      // Our refund's own amount is recorded first; Stripe's echo (charge.refunded) brings the total.
      if (r.refundedAmount !== refunded && (final || !refundNewsUndelivered)) {
        fail('I9 refunded amount', `REFUNDED with refunded_amount ${r.refundedAmount}, Stripe refunded ${refunded} in all`);
      }
    } else if (ours.length > 0 && !r.needsAttention && (final || !refundUnderWay)) {
      // Was: any refund at Stripe. A partial Dashboard refund (a goodwill gesture) legitimately
      // leaves the reservation as it was, so this is about our refunds; refunds in full are I9's.
      fail('I6 refund', `we refunded ${JSON.stringify(ours)} but the reservation is ${r.status}, refund ${refundUnderWay ? 'still pending' : 'not pending'}`);
    }
    if (captured > 0 && UNPAID_OR_EXPIRED.includes(r.status) && (final || !successUndelivered)) {
      fail('I6 success never lost', `Stripe captured ${captured} and acknowledged events say so, yet the reservation is ${r.status}`);
    }
    // Was: captured ⇒ PAID once. A hold captured after booking goes AUTHORIZED → SUPPLIER_CONFIRMED
    // (or through CONFIRMED_INTERNAL) without PAID: its capture is recorded instead, or flagged.
    if (final && captured > 0) {
      const manual = intents.some((i) => i.captured > 0 && i.captureMethod === 'manual');
      if (!manual && !rows.some((row) => row.toStatus === S.PAID)) fail('I6 success never lost', 'captured but never PAID');
      if (manual && !rows.some((row) => row.toStatus === S.AUTHORIZED)) fail('I6 success never lost', 'a hold captured but never AUTHORIZED');
      if (manual && r.capturedAt === null && !r.needsAttention) fail('I6 success never lost', 'a hold captured at Stripe, captured_at null and not flagged');
    }
    // Was: without exception. A held reservation (CONFIRMED_INTERNAL through a supplier outage) has nothing captured yet.
    if (PAID_OR_LATER.includes(r.status) && captured === 0 && !r.held) fail('I6 only a success pays', `${r.status} without any money captured`);

    // 7. Holds. Money is taken once; a hold is captured only once booked, or at its deadline
    // under the policy `capture`; a reservation the product holds for has a hold at Stripe; a
    // hold is never lost; a released one is given back.
    if (captures > 1) fail('I7 one capture', `money taken ${captures} times: ${JSON.stringify(intents.map((i) => ({ id: i.id, captures: i.captures })))}`);
    if (world.settings.mode === 'after_supplier_confirmation' && r.status === S.SUPPLIER_CONFIRMED && (!intent || intent.captured === 0)) {
      fail('I7 captured when booked', `SUPPLIER_CONFIRMED but its intent ${intent?.id} is ${intent?.status}, nothing captured`);
    }
    if (r.held && !intent?.authorizedAt) fail('I7 held', `held (${r.status}) but Stripe never authorized ${r.paymentIntentId} (${intent?.status})`);
    for (const i of intents.filter((candidate) => candidate.captureMethod === 'manual' && candidate.captured > 0)) {
      // Stripe reports capture_before in whole seconds.
      const deadline = i.captureBefore === null ? null : Math.floor(i.captureBefore / 1000) * 1000;
      const atDeadline = r.captureRequestedAt !== null && deadline !== null && r.captureRequestedAt.getTime() >= deadline - MARGIN_MS;
      if (r.supplierConfirmation === null && !atDeadline && !r.needsAttention) {
        fail('I7 captured when booked', `hold ${i.id} captured with no supplier booking, capture requested ${r.captureRequestedAt?.toISOString() ?? 'never'}, deadline ${i.captureBefore && new Date(i.captureBefore).toISOString()}`);
      }
    }
    const hold = intents.find((i) => i.status === 'requires_capture');
    if (hold && UNPAID_OR_EXPIRED.includes(r.status) && (final || (!holdNewsUndelivered && pending.length === 0))) {
      fail('I7 a hold is never lost', `Stripe holds ${hold.id} and acknowledged events say so, yet the reservation is ${r.status}`);
    }
    if (final && hold && !r.held) fail('I7 a hold is never lost', `Stripe still holds ${hold.id} for a reservation that is ${r.status}, not held`);
    if (r.status === S.RELEASED && captured - refunded > 0 && !r.needsAttention && (final || pending.length === 0)) {
      fail('I7 released', `RELEASED, yet ${captured - refunded} captured and kept, needs_attention false`);
    }
    if (final && r.status === S.RELEASED && intent && intent.status !== 'canceled' && !r.needsAttention && !refundedInFull) {
      fail('I7 released', `RELEASED but its intent ${intent.id} is ${intent.status} at Stripe, needs_attention false`);
    }

    // 8. Disputes: recorded as Stripe last reported them, flagged while open or lost, and listed.
    for (const dispute of disputes) {
      const open = DISPUTE_ACTION_STATUSES.includes(dispute.status);
      if (!final && disputeNewsUndelivered) continue;
      if (r.disputeId !== dispute.id) fail('I8 dispute', `Stripe disputes it (${dispute.id} ${dispute.status}), the reservation knows ${r.disputeId}`);
      if (open && !r.needsAttention) fail('I8 dispute', `dispute ${dispute.id} ${dispute.status} at Stripe, needs_attention false`);
      if (final && r.disputeStatus !== dispute.status) fail('I8 dispute', `dispute ${dispute.id} is ${dispute.status} at Stripe, ${r.disputeStatus} here`);
      if (final && open) {
        const problem = dispute.status === 'lost' ? 'dispute_lost' : 'dispute_open';
        if (!listed(atRisk, r.code, problem)) fail('I8 dispute', `dispute ${dispute.status} not listed as ${problem} by the money-safety check: ${JSON.stringify(entriesOf(atRisk, r.code))}`);
      }
    }

    // 9. Refunds at Stripe (ours, echoed by charge.refunded, and the Dashboard's): the total is
    // recorded; a refund in full ends the reservation (REFUNDED), or flags it (booked already),
    // or finds it released (a released hold captured all the same, now given back).
    if (final && refunded > 0 && r.refundedAmount !== refunded) {
      fail('I9 refunded amount', `refunded_amount ${r.refundedAmount}, Stripe refunded ${refunded} in all (${JSON.stringify(refunds)})`);
    }
    const settledAtStripe = final || (!refundNewsUndelivered && !refundUnderWay && !successUndelivered && pending.length === 0);
    if (refundedInFull && settledAtStripe && r.status !== S.REFUNDED && r.status !== S.RELEASED && !r.needsAttention) {
      fail('I9 refunded in full', `Stripe refunded all ${captured} (${JSON.stringify(refunds)}), the reservation is ${r.status}, needs_attention false`);
    }
    if (refundedInFull && r.status === S.SUPPLIER_CONFIRMED && (final || !refundNewsUndelivered) && !r.needsAttention) {
      fail('I9 refunded in full', `SUPPLIER_CONFIRMED and refunded in full at Stripe, needs_attention false`);
    }
    if (final && refundedInFull && r.status === S.SUPPLIER_CONFIRMED && !entriesOf(atRisk, r.code).length) {
      fail('I9 refunded in full', 'SUPPLIER_CONFIRMED and refunded in full at Stripe, not listed by the money-safety check');
    }
  }

  if (violations.length > 0) {
    throw new Error(`Invariant violations${final ? ' (after settling)' : ''}:\n  ${violations.join('\n  ')}\n${describeWorld(world, reservations, history, work)}`);
  }
}

const entriesOf = (report: MoneyAtRiskEntry[], code: string) => report.filter((entry) => entry.reservation_code === code);
const listed = (report: MoneyAtRiskEntry[], code: string, problem: string) => entriesOf(report, code).some((entry) => entry.problem === problem);

function checkHistory(rows: ReservationStatusHistory[], r: Reservation, fail: (message: string) => void): void {
  if (rows.length === 0 || rows[0].fromStatus !== null || rows[0].toStatus !== S.CREATED) {
    fail(`does not start null → CREATED: ${rows.map(step).join(', ')}`);
    return;
  }
  for (let i = 1; i < rows.length; i++) {
    const row = rows[i];
    if (row.fromStatus !== rows[i - 1].toStatus) fail(`row ${i} starts at ${row.fromStatus}, the previous ended at ${rows[i - 1].toStatus}`);
    const sameStatus = row.fromStatus === row.toStatus;
    if (!sameStatus && !ALLOWED_TRANSITIONS[row.fromStatus!]?.includes(row.toStatus)) fail(`step ${step(row)} is not allowed`);
  }
  if (rows.at(-1)!.toStatus !== r.status) fail(`ends at ${rows.at(-1)!.toStatus}, the reservation is ${r.status}`);
}

function step(row: ReservationStatusHistory): string {
  return `${row.fromStatus ?? 'null'}→${row.toStatus}`;
}

/** What a failure report shows: each reservation, its money at Stripe, its bookings, its work. */
function describeWorld(world: LifecycleWorld, reservations: Reservation[], history: ReservationStatusHistory[], work: OutboxEvent[]): string {
  const at = (date: Date | null) => date?.toISOString() ?? null;
  return [
    `  now ${world.clock.now().toISOString()}, PAYMENT_CAPTURE=${world.settings.mode}, deadline policy ${world.settings.deadlinePolicy}`,
    ...reservations.map((r) => {
      const intents = world.payments.intentsOf(r.code);
      const facts = {
        status: r.status,
        lock_version: r.lockVersion,
        needs_attention: r.needsAttention,
        supplier_confirmation: r.supplierConfirmation,
        supplier_attempts: r.supplierAttempts,
        supplier_last_error: r.supplierLastError,
        refund_requested_at: at(r.refundRequestedAt),
        refund_state: r.refundState,
        refund_id: r.refundId,
        refunded_amount: r.refundedAmount,
        hold: r.captureMethod === 'manual' ? { authorized_at: at(r.authorizedAt), capture_before: at(r.captureBefore), capture_requested_at: at(r.captureRequestedAt), captured_at: at(r.capturedAt), capture_last_error: r.captureLastError, released_at: at(r.releasedAt) } : undefined,
        dispute: r.disputeId ? { id: r.disputeId, status: r.disputeStatus, reason: r.disputeReason } : undefined,
        stripe: intents.map((i) => ({
          id: i.id,
          status: i.status,
          capture_method: i.captureMethod,
          captured: i.captured,
          capture_before: i.captureBefore && new Date(i.captureBefore).toISOString(),
          refunds: world.payments.refundsOf(i.id).map((refund) => `${refund.id} ${refund.amount} (${refund.origin})`),
          dispute: world.payments.disputeOf(i.id),
        })),
        events: world.payments.events
          .filter((event) => intents.some((i) => i.id === event.paymentIntentId))
          .map((event) => `${event.id} ${event.type}${event.acknowledged ? '' : ' (unacknowledged)'}`),
        supplier: world.supplier.bookings.filter((b) => b.reference === r.code),
        outbox: work.filter((e) => e.aggregateId === r.code).map((e) => `${e.type}:${e.status}`),
        history: history
          .filter((row) => row.reservationId === r.id)
          .map((row) => `${step(row)} (${row.cause})`),
      };
      return `  ${r.code} ${JSON.stringify(facts)}`;
    }),
  ].join('\n');
}
