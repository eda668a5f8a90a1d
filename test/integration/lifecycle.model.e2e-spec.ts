import fc from 'fast-check';
import { ReservationStatus } from '@app/reservations';
import {
  AdvanceClock,
  BankOpensDispute,
  BankReleasesHold,
  CreateBookedReservation,
  CreatePaidReservation,
  CreateReservation,
  CustomerPays,
  DashboardRefund,
  DeliverWebhook,
  DisputeMoves,
  DrainOutbox,
  LifecycleModel,
  lifecycleCommand,
  lifecycleCommandV1,
  OperatorRefunds,
  RaceAtStripe,
  RaceBookingRunAgainstRefund,
  RaceRefundAgainstBookingRun,
  runOutHolds,
  settle,
  StripeWillAnswer,
  SupplierWillAnswer,
} from './support/lifecycle-commands';
import { checkInvariants } from './support/lifecycle-invariants';
import { LifecycleSettings, LifecycleWorld } from './support/lifecycle-world';
import { DatabaseKind } from '../support/test-database';

/**
 * Runs per database and mode: 6 × 40 = 240 runs in all, where there were 2 × 100 before holds
 * were modelled (the file: ~55 s, then ~47 s); raise it locally (LIFECYCLE_RUNS=300) to search longer.
 */
const RUNS = Number(process.env.LIFECYCLE_RUNS ?? 40);
/** A busy machine gets fewer runs rather than a timeout; a failure found is still reported. */
const TIME_LIMIT_MS = Number(process.env.LIFECYCLE_TIME_LIMIT_MS ?? 6 * 60_000);
/** Replays one counterexample: LIFECYCLE_SEED, LIFECYCLE_PATH and LIFECYCLE_REPLAY_PATH as fast-check reports them. */
const SEED = process.env.LIFECYCLE_SEED ? { seed: Number(process.env.LIFECYCLE_SEED), path: process.env.LIFECYCLE_PATH } : {};
const KINDS: DatabaseKind[] = (process.env.LIFECYCLE_DATABASES ?? 'mysql,sqlite').split(',') as DatabaseKind[];
/**
 * PAYMENT_CAPTURE, and with holds PAYMENT_CAPTURE_DEADLINE_POLICY: `immediate`,
 * `after_supplier_confirmation/capture`, `after_supplier_confirmation/release` (LIFECYCLE_MODES picks some).
 */
const MODES: Record<string, LifecycleSettings> = {
  immediate: { mode: 'immediate', deadlinePolicy: 'capture' },
  'after_supplier_confirmation/capture': { mode: 'after_supplier_confirmation', deadlinePolicy: 'capture' },
  'after_supplier_confirmation/release': { mode: 'after_supplier_confirmation', deadlinePolicy: 'release' },
};
const CHOSEN_MODES = (process.env.LIFECYCLE_MODES ?? Object.keys(MODES).join(',')).split(',');
const COMBINATIONS = KINDS.flatMap((kind) => CHOSEN_MODES.map((mode) => [kind, mode] as const));

type Commands = Iterable<fc.AsyncCommand<LifecycleModel, LifecycleWorld>>;

/** fc.assert under a name the linter knows for an assertion: it throws the counterexample. */
const expectProperty = <T>(property: fc.IAsyncProperty<T>, parameters: fc.Parameters<T>) => fc.assert(property, parameters);

/**
 * The reservation lifecycle as a state machine under random interleavings of what the
 * customer, Stripe (and the card's bank, and the Dashboard), the suppliers, operators, the jobs
 * and the outbox do — the product's own handlers on the real database, with fakes for the
 * ports — checking the money invariants after every command and, once everything has settled,
 * that nothing was left behind; with holds, once more after they have run out.
 */
describe.each(COMBINATIONS)('reservation lifecycle model on %s, PAYMENT_CAPTURE=%s', (kind, mode) => {
  let world: LifecycleWorld;

  beforeAll(async () => {
    world = await LifecycleWorld.start(kind, MODES[mode]);
  });
  afterAll(async () => {
    await world?.close();
  });

  const run = async (commands: Commands) => {
    await world.reset();
    await fc.asyncModelRun(() => ({ model: { reservations: 0 }, real: world }), commands);
    await settle(world);
    await checkInvariants(world, { final: true });
    if (await runOutHolds(world)) await checkInvariants(world, { final: true });
  };
  /** `replayPath` (fast-check prints it with a counterexample) tells a replay which commands ran. */
  const propertyOf = (replayPath?: string, command = lifecycleCommand) =>
    fc.asyncProperty(fc.commands([command], { maxCommands: 25, size: 'max', replayPath }), run);
  const property = propertyOf(process.env.LIFECYCLE_REPLAY_PATH);

  it(
    'keeps the money invariants under random interleavings',
    async () => {
      await expectProperty(property, { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, ...SEED });
    },
    TIME_LIMIT_MS + 5 * 60_000,
  );

  // Regression cases. Counterexamples fast-check found on 3c99d96 (before the money-safety
  // fix cb7cf93), with PAYMENT_CAPTURE=immediate, kept two ways: the seed and path as fast-check
  // reported them, replayed with the generator they were found with (`lifecycleCommandV1`, frozen),
  // and the shrunk command list, which does not depend on the generator. Since the fake echoes our
  // refunds as charge.refunded, a replayed Deliver(any #i) may pick another event than it did then:
  // the command lists are the exact cases.
  if (mode === 'immediate') {
    it.each([
      // Supplier books then times out; the refund ends REFUNDED and nobody knows of the booking (I3).
      { seed: 2, path: '54:3:9:13:13:11:11:11', replayPath: 'AAAAAA+:VB' },
      // Stripe refunds but the answer is lost; the refund is abandoned, the money is gone (I6).
      { seed: 3, path: '45:14:2:10:8:8:8:8', replayPath: 'HEl:F' },
      // A due retry stands aside while a refund is in flight; the refund fails; nothing books it (I1).
      { seed: 6, path: '1:9:11:14:16:17:16:14:14:17:10:11:11', replayPath: '/5:D' },
      // The same stranding with a refund Stripe refuses outright; found on cb7cf93, fixed in df7a42d (I1).
      { seed: -1277689818, path: '48:4:7:11:11:14:14:19:18:14:14:14:14:15', replayPath: '//f:H' },
    ])('replays seed $seed', async ({ seed, path, replayPath }) => {
      await expectProperty(propertyOf(replayPath, lifecycleCommandV1), { seed, path, endOnFailure: true });
    });

    it('a refund racing an in-flight booking run never ends REFUNDED with an unflagged supplier booking', async () => {
      // The retry-now run holds the reservation at the supplier while the operator refunds; the
      // supplier then books. On 3c99d96: REFUNDED, supplier booked, needs_attention false.
      await run([
        new CreateReservation('succeed'),
        new CustomerPays(0, 'succeeded'),
        new DeliverWebhook(0, 'next'),
        new SupplierWillAnswer(['unavailable', 'unavailable', 'unavailable']),
        new DrainOutbox(false),
        new RaceRefundAgainstBookingRun(0, true, 'succeed'),
      ]);
      expect(world.supplier.liveBookings(world.codes[0]).length).toBeLessThanOrEqual(1);
    });

    it('a refund whose Stripe answer is lost stays pending and is settled, never abandoned', async () => {
      // On 3c99d96: CONFIRMED_INTERNAL, refund abandoned, while Stripe had refunded everything.
      await run([
        new CreatePaidReservation(),
        new DeliverWebhook(0, 'next'),
        new SupplierWillAnswer(['unavailable', 'unavailable', 'unavailable']),
        new DrainOutbox(false),
        new OperatorRefunds(0, 'ambiguous'),
      ]);
      expect((await world.reservation(world.codes[0])).status).toBe(ReservationStatus.REFUNDED);
    });

    it('a refund after a supplier timeout that had booked finds that booking and flags it', async () => {
      // On 3c99d96: REFUNDED with the supplier holding a car, needs_attention false.
      await run([
        new CreatePaidReservation(),
        new DeliverWebhook(0, 'next'),
        new SupplierWillAnswer(['timeoutAfterCommit', 'unavailable', 'unavailable']),
        new DrainOutbox(false),
        new OperatorRefunds(0, 'succeed'),
      ]);
      expect(await world.reservation(world.codes[0])).toMatchObject({ status: ReservationStatus.REFUNDED, needsAttention: true });
    });

    it('a booking retry that stood aside for a refund Stripe then refused is not lost', async () => {
      // The scheduled retry comes due while the refund is at Stripe: the run stands aside and its
      // event is done; Stripe refuses the refund; the reservation is CONFIRMED_INTERNAL with the
      // money taken, no retry scheduled and needs_attention false. Red on 3c99d96 and cb7cf93; fixed in df7a42d.
      await run([
        new CreatePaidReservation(),
        new SupplierWillAnswer(['unavailable', 'unavailable', 'unavailable']),
        new DeliverWebhook(0, 'next'),
        new DrainOutbox(false),
        new AdvanceClock(61),
        new RaceBookingRunAgainstRefund(0, false, 'refuse'),
      ]);
      expect((await world.reservation(world.codes[0])).status).not.toBe(ReservationStatus.REFUNDED);
    });
  }

  // Counterexamples found once holds and money moved at Stripe were modelled (`lifecycleCommand`),
  // on the working tree before its fixes for them (F1–F5 of the change's model findings): the
  // shrunk command lists, each named after the promise it broke.

  it('a dispute event that arrives after a newer one does not turn its status back', async () => {
    // F3 (I8): the bank's evidence review (under_review) is delivered first, the opening
    // (needs_response) after it: the reservation says needs_response while Stripe says under_review.
    await run([new CreateBookedReservation(), new BankOpensDispute(0, false, 'fraudulent'), new DisputeMoves(0, 'evidence'), new DeliverWebhook(0, 'latest')]);
    expect((await world.reservation(world.codes[0])).disputeStatus).toBe('under_review');
  });

  if (mode === 'immediate') {
    it('a full Dashboard refund delivered before the payment succeeded is not booked as if paid, unflagged', async () => {
      // F2 (I9): charge.refunded arrives before payment_intent.succeeded; the refund is recorded on
      // PAYMENT_IN_PROGRESS, then the success makes it PAID, it is booked: SUPPLIER_CONFIRMED,
      // refunded in full, needs_attention false.
      await run([new CreatePaidReservation(), new DashboardRefund(0, 'full'), new DeliverWebhook(0, 'latest')]);
      const reservation = await world.reservation(world.codes[0]);
      expect(reservation.status === ReservationStatus.REFUNDED || reservation.needsAttention).toBe(true);
    });

    /** Paid, the supplier down (CONFIRMED_INTERNAL), then a partial refund in the Dashboard, delivered. */
    const partlyRefundedInTheDashboardWhileTheSupplierIsDown = () => [
      new CreatePaidReservation(),
      new DeliverWebhook(0, 'next'),
      new SupplierWillAnswer(['unavailable', 'unavailable', 'unavailable']),
      new DrainOutbox(false),
      new DashboardRefund(0, 'partial'),
      new DeliverWebhook(0, 'next'),
    ];

    it('our refund after a partial Dashboard refund records what Stripe refunded in all, whichever is delivered first', async () => {
      // F4 (I9): the echo of our refund (total 189.50) is applied while the refund's answer is lost;
      // settling the refund then writes its own amount (126.34) over the total.
      await run([
        ...partlyRefundedInTheDashboardWhileTheSupplierIsDown(),
        new OperatorRefunds(0, 'ambiguous'),
        new DeliverWebhook(0, 'next'),
      ]);
      expect((await world.reservation(world.codes[0])).refundedAmount).toBe(18950);
    });

    it('a refund settled after its key expired is not taken for done by a partial Dashboard refund', async () => {
      // F5 (I1, I6): Stripe is down for the operator's refund; a day later SETTLE_REFUND reads the
      // intent's refunds, finds the Dashboard's 63.16 and ends REFUNDED, 126.34 kept, unflagged.
      await run([
        ...partlyRefundedInTheDashboardWhileTheSupplierIsDown(),
        new OperatorRefunds(0, 'unavailable'),
        new AdvanceClock(25 * 60),
        new DrainOutbox(false),
      ]);
      expect(world.payments.refundedOf(world.payments.intentsOf(world.codes[0])[0].id)).toBe(18950);
    });
  } else {
    it('a hold released after a booking run that timed out at the supplier does not leave its booking behind', async () => {
      // F1 (I3): the supplier booked but its answer was lost (deferred, hold kept); the bank lets
      // the hold go: RELEASED, the supplier holds a car, needs_attention false, nobody looks it up.
      await run([new SupplierWillAnswer(['timeoutAfterCommit', 'unavailable', 'unavailable']), new CreateBookedReservation(), new BankReleasesHold(0)]);
      expect(world.supplier.liveBookings(world.codes[0]).length === 0 || (await world.reservation(world.codes[0])).needsAttention).toBe(true);
    });

    it('a capture whose answer was lost, then a full Dashboard refund: booked and refunded is flagged', async () => {
      // F2 (I9): Stripe captured, the answer was lost; a support agent refunds it all meanwhile (the
      // reservation, still AUTHORIZED, records it); the capture's retry makes it SUPPLIER_CONFIRMED, unflagged.
      await run([new StripeWillAnswer('capture', 'ambiguous'), new CreateBookedReservation(), new RaceAtStripe('capture', 0, 'dashboardRefund')]);
      expect((await world.reservation(world.codes[0])).needsAttention).toBe(true);
    });
  }
});
