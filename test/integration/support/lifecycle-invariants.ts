import { In } from 'typeorm';
import { OutboxEvent, OutboxStatus } from '@app/outbox';
import { ALLOWED_TRANSITIONS, Reservation, ReservationStatus, ReservationStatusHistory } from '@app/reservations';
import { LifecycleWorld } from './lifecycle-world';

const S = ReservationStatus;
const UNPAID_OR_EXPIRED: ReservationStatus[] = [S.CREATED, S.PAYMENT_IN_PROGRESS, S.PAYMENT_FAILED, S.EXPIRED];
const PAID_OR_LATER: ReservationStatus[] = [S.PAID, S.CONFIRMED_INTERNAL, S.SUPPLIER_CONFIRMED, S.REFUNDED];
/** Outbox work that moves no money and books nothing. */
const RECEIPT_WORK = new Set(['ISSUE_RECEIPT', 'SEND_RECEIPT_EMAIL']);

/**
 * The lifecycle's promises, checked against the database and the fakes' ground truth (money at
 * "Stripe", bookings at "the supplier"). During a run, work still under way (a due outbox
 * event, a refund being settled, a Stripe event not yet acknowledged) excuses a gap; `final`
 * (after everything has been delivered, drained and retried) excuses nothing.
 */
export async function checkInvariants(world: LifecycleWorld, { final }: { final: boolean }): Promise<void> {
  const reservations = await world.dataSource.getRepository(Reservation).find({ order: { id: 'ASC' } });
  const history = await world.dataSource.getRepository(ReservationStatusHistory).find({ order: { id: 'ASC' } });
  const work = await world.dataSource
    .getRepository(OutboxEvent)
    .find({ where: { aggregateType: 'reservation', status: In([OutboxStatus.PENDING, OutboxStatus.PROCESSING]) } });
  const violations: string[] = [];

  for (const r of reservations) {
    const fail = (invariant: string, message: string) => violations.push(`${r.code} ${invariant}: ${message}`);
    const intents = world.payments.intentsOf(r.code);
    const captured = intents.reduce((sum, intent) => sum + intent.captured, 0);
    const refunds = intents.flatMap((intent) => world.payments.refundsOf(intent.id));
    const refunded = refunds.reduce((sum, refund) => sum + refund.amount, 0);
    const bookings = world.supplier.bookings.filter((booking) => booking.reference === r.code);
    const live = world.supplier.liveBookings(r.code);
    const pending = work.filter((event) => event.aggregateId === r.code && !RECEIPT_WORK.has(event.type));
    const successUndelivered = world.payments.events.some(
      (event) => event.type === 'payment_intent.succeeded' && !event.acknowledged && intents.some((intent) => intent.id === event.paymentIntentId),
    );
    const refundUnderWay = r.refundRequestedAt !== null;
    const underWay = !final && (pending.length > 0 || refundUnderWay || successUndelivered);

    // 1. Captured money is booked, refunded, flagged for an operator, or still being worked on.
    if (captured - refunded > 0 && live.length === 0 && !r.needsAttention && !underWay) {
      fail('I1 money accounted', `${captured - refunded} captured and kept, no supplier booking, needs_attention false, nothing under way`);
    }
    // 2. At most one booking per reservation at the supplier; SUPPLIER_CONFIRMED means the supplier holds it.
    if (bookings.length > 1) fail('I2 one booking', `${bookings.length} bookings at the supplier`);
    if (r.status === S.SUPPLIER_CONFIRMED && !live.some((booking) => booking.confirmationNumber === r.supplierConfirmation)) {
      fail('I2 one booking', `SUPPLIER_CONFIRMED as ${r.supplierConfirmation} but the supplier holds ${JSON.stringify(live)}`);
    }
    // 3. Never REFUNDED with a live supplier booking unless flagged, with the confirmation kept.
    if (r.status === S.REFUNDED && live.length > 0 && (final || pending.length === 0)) {
      if (!r.needsAttention || r.supplierConfirmation !== live[0].confirmationNumber) {
        fail(
          'I3 refunded and booked',
          `REFUNDED while the supplier holds ${live[0].confirmationNumber}; needs_attention ${r.needsAttention}, supplier_confirmation ${r.supplierConfirmation}`,
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
    // 6. Money is refunded at most once, never more than captured; a success is never lost.
    for (const intent of intents) {
      const made = world.payments.refundsOf(intent.id);
      if (made.length > 1) fail('I6 refund once', `${made.length} refunds of ${intent.id}`);
      if (world.payments.refundedOf(intent.id) > intent.captured) fail('I6 refund once', `${intent.id} refunded more than captured`);
    }
    if (r.status === S.REFUNDED) {
      if (captured === 0 || refunded !== captured) fail('I6 refund', `REFUNDED but Stripe captured ${captured} and refunded ${refunded}`);
      if (r.refundedAmount !== refunded || !refunds.some((refund) => refund.id === r.refundId)) {
        fail('I6 refund', `REFUNDED as ${r.refundId} of ${r.refundedAmount}, Stripe has ${JSON.stringify(refunds)}`);
      }
    } else if (refunded > 0 && !r.needsAttention && (final || !refundUnderWay)) {
      fail('I6 refund', `Stripe refunded ${refunded} but the reservation is ${r.status}, refund ${refundUnderWay ? 'still pending' : 'not pending'}`);
    }
    if (captured > 0 && UNPAID_OR_EXPIRED.includes(r.status) && (final || !successUndelivered)) {
      fail('I6 success never lost', `Stripe captured ${captured} and acknowledged events say so, yet the reservation is ${r.status}`);
    }
    if (final && captured > 0 && !rows.some((row) => row.toStatus === S.PAID)) fail('I6 success never lost', 'captured but never PAID');
    if (PAID_OR_LATER.includes(r.status) && captured === 0) fail('I6 only a success pays', `${r.status} without any money captured`);
  }

  if (violations.length > 0) {
    throw new Error(`Invariant violations${final ? ' (after settling)' : ''}:\n  ${violations.join('\n  ')}\n${describeWorld(world, reservations, history, work)}`);
  }
}

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
  return reservations
    .map((r) => {
      const intents = world.payments.intentsOf(r.code);
      const facts = {
        status: r.status,
        lock_version: r.lockVersion,
        needs_attention: r.needsAttention,
        supplier_confirmation: r.supplierConfirmation,
        supplier_attempts: r.supplierAttempts,
        refund_requested_at: r.refundRequestedAt?.toISOString() ?? null,
        refund_state: r.refundState,
        stripe: intents.map((i) => ({ id: i.id, status: i.status, captured: i.captured, refunded: world.payments.refundedOf(i.id) })),
        supplier: world.supplier.bookings.filter((b) => b.reference === r.code),
        outbox: work.filter((e) => e.aggregateId === r.code).map((e) => `${e.type}:${e.status}`),
        history: history
          .filter((row) => row.reservationId === r.id)
          .map((row) => `${step(row)} (${row.cause})`),
      };
      return `  ${r.code} ${JSON.stringify(facts)}`;
    })
    .join('\n');
}
