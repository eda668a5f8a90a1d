import fc from 'fast-check';
import { aReservation } from '../../support/builders';
import { DisputeStep, FakeIntent, StripeOperation, StripeOutcome } from '../../support/fakes/fake-payment-gateway';
import { SupplierOutcome } from '../../support/fakes/fake-supplier-gateway';
import { checkInvariants } from './lifecycle-invariants';
import { CAPTURE_MARGIN_HOURS, LifecycleWorld } from './lifecycle-world';

/** What the commands need to know of the run: how many reservations exist to pick from. */
export interface LifecycleModel {
  reservations: number;
}

type Command = fc.AsyncCommand<LifecycleModel, LifecycleWorld>;

/** A command that picks a reservation (by index, modulo how many exist) and checks the invariants after running. */
abstract class Step implements Command {
  check(model: Readonly<LifecycleModel>): boolean {
    return model.reservations > 0 || !this.needsReservation;
  }

  async run(model: LifecycleModel, world: LifecycleWorld): Promise<void> {
    await this.act(world, model);
    await checkInvariants(world, { final: false });
  }

  protected get needsReservation(): boolean {
    return true;
  }

  protected abstract act(world: LifecycleWorld, model: LifecycleModel): Promise<void>;
  abstract toString(): string;
}

const pick = (world: LifecycleWorld, index: number) => world.codes[index % world.codes.length];

/**
 * What the bank and the Dashboard act on: of the run's PaymentIntents at "Stripe" that `usable`
 * accepts (a hold, money captured, a dispute), the `index`-th (modulo how many there are).
 */
const intentOf = (world: LifecycleWorld, index: number, usable: (intent: FakeIntent) => boolean) => {
  const candidates = [...world.payments.intents.values()].filter(usable);
  return candidates.length > 0 ? candidates[index % candidates.length] : undefined;
};

/** The outcome of one Stripe call made by this command; what it did not use is dropped, so the next command starts clean. */
async function withStripe<T>(world: LifecycleWorld, operation: StripeOperation, outcome: StripeOutcome, work: () => Promise<T>): Promise<T> {
  if (outcome !== 'succeed') world.payments.script(operation, outcome);
  try {
    return await work();
  } finally {
    if (outcome !== 'succeed') world.payments.clearScripts(operation);
  }
}

export class CreateReservation extends Step {
  constructor(readonly stripe: StripeOutcome) {
    super();
  }
  protected override get needsReservation() {
    return false;
  }
  protected async act(world: LifecycleWorld, model: LifecycleModel) {
    // Stripe's answer to the inline PaymentIntent creation; the outbox retries it 10 s later.
    await withStripe(world, 'create', this.stripe, () => world.create(aReservation({}, { from: world.clock.now() })));
    model.reservations++;
  }
  toString() {
    return `Create(stripe=${this.stripe})`;
  }
}

/** A reservation whose customer paid at once (Stripe's event not yet delivered): most runs are about what follows. */
export class CreatePaidReservation extends Step {
  protected override get needsReservation() {
    return false;
  }
  protected async act(world: LifecycleWorld, model: LifecycleModel) {
    const code = await world.create(aReservation({}, { from: world.clock.now() }));
    model.reservations++;
    const intent = (await world.reservation(code)).paymentIntentId;
    if (intent) world.payments.customerPays(intent, 'succeeded');
  }
  toString() {
    return 'CreatePaid()';
  }
}

/**
 * A reservation paid, its Stripe events delivered and the outbox drained a few times: booked
 * (and, with holds, captured) unless the suppliers or Stripe were scripted otherwise. Runs are
 * short; this gets them to what happens to money after booking.
 */
export class CreateBookedReservation extends Step {
  protected override get needsReservation() {
    return false;
  }
  protected async act(world: LifecycleWorld, model: LifecycleModel) {
    const code = await world.create(aReservation({}, { from: world.clock.now() }));
    model.reservations++;
    const intent = (await world.reservation(code)).paymentIntentId;
    if (!intent) return;
    world.payments.customerPays(intent, 'succeeded');
    for (let drains = 0; drains < 4; drains++) {
      for (const event of world.payments.events.filter((e) => !e.acknowledged && e.paymentIntentId === intent)) await world.deliver(event);
      if ((await world.drain()) === 0) break;
    }
  }
  toString() {
    return 'CreateBooked()';
  }
}

export class CustomerPays extends Step {
  constructor(
    readonly index: number,
    readonly result: 'succeeded' | 'declined' | 'processing',
  ) {
    super();
  }
  protected async act(world: LifecycleWorld) {
    // The customer can pay only the intent whose client secret we handed out.
    const intent = (await world.reservation(pick(world, this.index))).paymentIntentId;
    if (intent) world.payments.customerPays(intent, this.result);
  }
  toString() {
    return `CustomerPays(#${this.index}, ${this.result})`;
  }
}

export type Delivery = 'next' | 'latest' | 'any' | 'twiceAtOnce' | 'freshId';

/**
 * Stripe POSTs an event: the oldest unacknowledged (in order), the newest unacknowledged (ahead
 * of those before it), any (late, duplicate, out of order), twice at once, or under a new id.
 */
export class DeliverWebhook extends Step {
  constructor(
    readonly pickIndex: number,
    readonly delivery: Delivery,
  ) {
    super();
  }
  protected override get needsReservation() {
    return false;
  }
  protected async act(world: LifecycleWorld) {
    const all = world.payments.events;
    const unacknowledged = all.filter((event) => !event.acknowledged);
    const event =
      this.delivery === 'next' ? unacknowledged[0] : this.delivery === 'latest' ? unacknowledged.at(-1) : all[this.pickIndex % Math.max(all.length, 1)];
    if (!event) return;
    if (this.delivery === 'twiceAtOnce') await Promise.all([world.deliver(event), world.deliver(event)]);
    else await world.deliver(event, this.delivery === 'freshId' ? world.freshEventId() : event.id);
  }
  toString() {
    return `Deliver(${this.delivery}${this.delivery === 'next' || this.delivery === 'latest' ? '' : ` #${this.pickIndex}`})`;
  }
}

export class DrainOutbox extends Step {
  constructor(readonly parallel: boolean) {
    super();
  }
  protected override get needsReservation() {
    return false;
  }
  protected async act(world: LifecycleWorld) {
    // Two drainers at once: two processes on one database.
    if (this.parallel) await Promise.all([world.drain(), world.drain()]);
    else await world.drain();
  }
  toString() {
    return `Drain(${this.parallel ? 'two processes' : 'one'})`;
  }
}

export class SupplierWillAnswer extends Step {
  constructor(readonly outcomes: SupplierOutcome[]) {
    super();
  }
  protected override get needsReservation() {
    return false;
  }
  protected async act(world: LifecycleWorld) {
    world.supplier.next(...this.outcomes);
  }
  toString() {
    // A long outage reads `unavailable×24`.
    const runs: string[] = [];
    for (let i = 0; i < this.outcomes.length; ) {
      let n = 1;
      while (this.outcomes[i + n] === this.outcomes[i]) n++;
      runs.push(n > 3 ? `${this.outcomes[i]}×${n}` : Array.from({ length: n }, () => this.outcomes[i]).join(', '));
      i += n;
    }
    return `SupplierWillAnswer(${runs.join(', ')})`;
  }
}

export class StripeWillAnswer extends Step {
  constructor(
    readonly operation: StripeOperation,
    readonly outcome: StripeOutcome,
  ) {
    super();
  }
  protected override get needsReservation() {
    return false;
  }
  protected async act(world: LifecycleWorld) {
    world.payments.script(this.operation, this.outcome);
  }
  toString() {
    return `StripeWillAnswer(${this.operation}, ${this.outcome})`;
  }
}

export class AdvanceClock extends Step {
  constructor(readonly minutes: number) {
    super();
  }
  protected override get needsReservation() {
    return false;
  }
  protected async act(world: LifecycleWorld) {
    world.clock.advance(this.minutes * 60_000);
    // Time passes for the banks too: a hold whose capture_before is over is released (Stripe sends payment_intent.canceled).
    world.payments.releaseExpiredHolds();
  }
  toString() {
    return `AdvanceClock(${this.minutes} min)`;
  }
}

export type Job = 'expiry' | 'reconciliation' | 'holdDeadline';

export class RunJob extends Step {
  constructor(readonly job: Job) {
    super();
  }
  protected override get needsReservation() {
    return false;
  }
  protected async act(world: LifecycleWorld) {
    if (this.job === 'expiry') await world.expire();
    else if (this.job === 'reconciliation') await world.reconcile();
    else await world.holdDeadlines();
  }
  toString() {
    return `Run(${this.job})`;
  }
}

export class OperatorRetriesBooking extends Step {
  constructor(readonly index: number) {
    super();
  }
  protected async act(world: LifecycleWorld) {
    await world.retryNow(pick(world, this.index));
  }
  toString() {
    return `RetryBookingNow(#${this.index})`;
  }
}

export class OperatorRefunds extends Step {
  constructor(
    readonly index: number,
    readonly stripe: StripeOutcome,
  ) {
    super();
  }
  protected async act(world: LifecycleWorld) {
    await withStripe(world, 'refund', this.stripe, () => world.refund(pick(world, this.index)));
  }
  toString() {
    return `Refund(#${this.index}, stripe=${this.stripe})`;
  }
}

/** Gives a held call up after this long: a handler that waits for the other one would otherwise hang the test. */
const HOLD_LIMIT_MS = 10_000;

/**
 * A booking run in flight while an operator refunds: the drain starts, the supplier holds its
 * answer for this reservation until the refund has been attempted, then answers.
 * `retryFirst`: the operator first asks to retry now, so a run is due.
 */
export class RaceRefundAgainstBookingRun extends Step {
  constructor(
    readonly index: number,
    readonly retryFirst: boolean,
    readonly stripe: StripeOutcome,
  ) {
    super();
  }
  protected async act(world: LifecycleWorld) {
    const code = pick(world, this.index);
    if (this.retryFirst) await world.retryNow(code);
    const gate = world.supplier.hold(code);
    const drained = world.drain();
    try {
      await Promise.race([gate.reached, drained]);
      const timer = setTimeout(() => gate.release(), HOLD_LIMIT_MS);
      try {
        await withStripe(world, 'refund', this.stripe, () => world.refund(code));
      } finally {
        clearTimeout(timer);
      }
    } finally {
      gate.release();
      world.supplier.unhold(code);
    }
    await drained;
  }
  toString() {
    return `RaceRefundAgainstBookingRun(#${this.index}, retryFirst=${this.retryFirst}, stripe=${this.stripe})`;
  }
}

/**
 * The other order: the refund is at Stripe (its answer held) when a booking run starts; Stripe
 * answers once the drain is over.
 */
export class RaceBookingRunAgainstRefund extends Step {
  constructor(
    readonly index: number,
    readonly retryFirst: boolean,
    readonly stripe: StripeOutcome,
  ) {
    super();
  }
  protected async act(world: LifecycleWorld) {
    const code = pick(world, this.index);
    if (this.retryFirst) await world.retryNow(code);
    const gate = world.payments.hold('refund');
    const refunding = withStripe(world, 'refund', this.stripe, () => world.refund(code));
    try {
      await Promise.race([gate.reached, refunding]);
      const timer = setTimeout(() => gate.release(), HOLD_LIMIT_MS);
      try {
        await world.drain();
      } finally {
        clearTimeout(timer);
      }
    } finally {
      gate.release();
      world.payments.unhold('refund');
    }
    await refunding;
  }
  toString() {
    return `RaceBookingRunAgainstRefund(#${this.index}, retryFirst=${this.retryFirst}, stripe=${this.stripe})`;
  }
}

/** The bank lets a hold go, if there is one. */
function bankReleasesHoldOf(world: LifecycleWorld, index: number): void {
  const intent = intentOf(world, index, (candidate) => candidate.status === 'requires_capture');
  if (intent) world.payments.bankReleasesHold(intent.id);
}

/** A Dashboard refund of captured money not yet refunded, if there is any. */
function refundInDashboardOf(world: LifecycleWorld, index: number, amount: 'full' | 'partial'): void {
  const intent = intentOf(world, index, (candidate) => candidate.captured > world.payments.refundedOf(candidate.id));
  if (!intent) return;
  const left = intent.captured - world.payments.refundedOf(intent.id);
  world.payments.refundInDashboard(intent.id, amount === 'full' ? left : Math.max(1, Math.floor(left / 3)));
}

/** Stripe POSTs the oldest event our endpoint has not acknowledged. */
async function deliverNext(world: LifecycleWorld): Promise<void> {
  const event = world.payments.events.find((candidate) => !candidate.acknowledged);
  if (event) await world.deliver(event);
}

/** The card's bank lets a hold go before anyone captured it (Stripe cancels the intent, `payment_intent.canceled`). */
export class BankReleasesHold extends Step {
  constructor(readonly index: number) {
    super();
  }
  protected async act(world: LifecycleWorld) {
    bankReleasesHoldOf(world, this.index);
  }
  toString() {
    return `BankReleasesHold(#${this.index})`;
  }
}

/** A support agent refunds in the Stripe Dashboard, all that is left or a part (a goodwill gesture); Stripe sends charge.refunded. */
export class DashboardRefund extends Step {
  constructor(
    readonly index: number,
    readonly amount: 'full' | 'partial',
  ) {
    super();
  }
  protected async act(world: LifecycleWorld) {
    refundInDashboardOf(world, this.index, this.amount);
  }
  toString() {
    return `DashboardRefund(#${this.index}, ${this.amount})`;
  }
}

/** The cardholder's bank disputes a captured charge: a chargeback, or an inquiry first; Stripe sends charge.dispute.created. */
export class BankOpensDispute extends Step {
  constructor(
    readonly index: number,
    readonly inquiry: boolean,
    readonly reason: string,
  ) {
    super();
  }
  protected async act(world: LifecycleWorld) {
    const intent = intentOf(world, this.index, (candidate) => candidate.captured > 0);
    if (intent) world.payments.openDispute(intent.id, { reason: this.reason, inquiry: this.inquiry });
  }
  toString() {
    return `BankOpensDispute(#${this.index}, ${this.inquiry ? 'inquiry' : 'chargeback'}, ${this.reason})`;
  }
}

/** A dispute moves on: evidence submitted, won, or lost (an inquiry lost becomes a chargeback); charge.dispute.updated or .closed. */
export class DisputeMoves extends Step {
  constructor(
    readonly index: number,
    readonly step: DisputeStep,
  ) {
    super();
  }
  protected async act(world: LifecycleWorld) {
    const intent = intentOf(world, this.index, (candidate) => world.payments.disputeOf(candidate.id) !== undefined);
    if (intent) world.payments.moveDispute(intent.id, this.step);
  }
  toString() {
    return `DisputeMoves(#${this.index}, ${this.step})`;
  }
}

/** What happens while a call of the drain's is on the wire to Stripe. */
export type MeanwhileAtStripe = 'bankReleasesHold' | 'deliverNext' | 'dashboardRefund' | 'holdDeadline' | 'drain';

/**
 * A drain's call to Stripe (a capture, a cancellation, a refund) is held on the wire while
 * something else happens — the bank lets the hold go, Stripe delivers its next event, a support
 * agent refunds, the hold-deadline job runs, another process drains — then Stripe answers.
 */
export class RaceAtStripe extends Step {
  constructor(
    readonly operation: StripeOperation,
    readonly index: number,
    readonly meanwhile: MeanwhileAtStripe,
  ) {
    super();
  }
  protected async act(world: LifecycleWorld) {
    const gate = world.payments.hold(this.operation);
    const drained = world.drain();
    try {
      await Promise.race([gate.reached, drained]);
      const timer = setTimeout(() => gate.release(), HOLD_LIMIT_MS);
      try {
        await this.happen(world);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      gate.release();
      world.payments.unhold(this.operation);
    }
    await drained;
  }
  private async happen(world: LifecycleWorld) {
    switch (this.meanwhile) {
      case 'bankReleasesHold':
        bankReleasesHoldOf(world, this.index);
        return;
      case 'dashboardRefund':
        refundInDashboardOf(world, this.index, 'full');
        return;
      case 'deliverNext':
        await deliverNext(world);
        return;
      case 'holdDeadline':
        await world.holdDeadlines();
        return;
      case 'drain':
        await world.drain();
        return;
    }
  }
  toString() {
    return `RaceAtStripe(${this.operation}, #${this.index}, meanwhile=${this.meanwhile})`;
  }
}

const index = fc.nat({ max: 7 });
const stripeOutcome = fc.constantFrom<StripeOutcome>('succeed', 'succeed', 'refuse', 'unavailable', 'ambiguous');
const supplierOutcome = fc.constantFrom<SupplierOutcome>('confirmed', 'rejected', 'unavailable', 'timeoutAfterCommit');
/** A run makes up to three calls (two in-call retries): three failures in a row are an outage for that run. */
const supplierAnswers = fc.oneof(
  fc.constant<SupplierOutcome[]>(['unavailable', 'unavailable', 'unavailable']),
  fc.constant<SupplierOutcome[]>(['rejected']),
  fc.constant<SupplierOutcome[]>(['timeoutAfterCommit', 'unavailable', 'unavailable']),
  fc.array(supplierOutcome, { minLength: 1, maxLength: 3 }),
);

/**
 * The commands as generated before holds and money moved at Stripe were modelled: frozen, so that
 * the counterexamples recorded as `{ seed, path, replayPath }` replay the command lists they were
 * found with. New commands go into `lifecycleCommand`.
 */
export const lifecycleCommandV1: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null).map(() => new CreatePaidReservation()) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom<StripeOutcome>('succeed', 'succeed', 'succeed', 'refuse', 'unavailable', 'ambiguous')
      .map((stripe) => new CreateReservation(stripe)),
  },
  {
    weight: 5,
    arbitrary: fc
      .tuple(index, fc.constantFrom('succeeded' as const, 'succeeded' as const, 'succeeded' as const, 'declined' as const, 'processing' as const))
      .map(([i, result]) => new CustomerPays(i, result)),
  },
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.nat(), fc.constantFrom<Delivery>('next', 'next', 'next', 'any', 'twiceAtOnce', 'freshId'))
      .map(([i, delivery]) => new DeliverWebhook(i, delivery)),
  },
  { weight: 6, arbitrary: fc.boolean().map((parallel) => new DrainOutbox(parallel)) },
  { weight: 4, arbitrary: supplierAnswers.map((outcomes) => new SupplierWillAnswer(outcomes)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom<StripeOperation>('create', 'retrieve', 'cancel', 'refund', 'listRefunds'), stripeOutcome)
      .map(([operation, outcome]) => new StripeWillAnswer(operation, outcome)),
  },
  { weight: 2, arbitrary: fc.constantFrom(1, 11, 31, 61, 6 * 60 + 1, 25 * 60).map((minutes) => new AdvanceClock(minutes)) },
  { weight: 1, arbitrary: fc.constantFrom('expiry' as const, 'reconciliation' as const).map((job) => new RunJob(job)) },
  { weight: 2, arbitrary: index.map((i) => new OperatorRetriesBooking(i)) },
  { weight: 3, arbitrary: fc.tuple(index, stripeOutcome).map(([i, stripe]) => new OperatorRefunds(i, stripe)) },
  {
    weight: 3,
    arbitrary: fc.tuple(index, fc.boolean(), stripeOutcome).map(([i, retryFirst, stripe]) => new RaceRefundAgainstBookingRun(i, retryFirst, stripe)),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(index, fc.boolean(), stripeOutcome).map(([i, retryFirst, stripe]) => new RaceBookingRunAgainstRefund(i, retryFirst, stripe)),
  },
);

/** V2's answers add a long outage: eight runs' worth, so that a hold outlives the booking and meets its deadline. */
const supplierAnswersV2 = fc.oneof(
  { weight: 4, arbitrary: supplierAnswers },
  { weight: 1, arbitrary: fc.constant<SupplierOutcome[]>(Array.from({ length: 24 }, () => 'unavailable' as const)) },
);

const HOUR_MINUTES = 60;
/** A hold lasts HOLD_MS (7 days); the deadline job acts PAYMENT_CAPTURE_MARGIN_HOURS (12 h) before it. */
const INTO_HOLD_MARGIN_MINUTES = (7 * 24 - CAPTURE_MARGIN_HOURS + 1) * HOUR_MINUTES;
const PAST_HOLD_MINUTES = 7 * 24 * HOUR_MINUTES + 1;

/**
 * Every command, weighted towards what moves a reservation along: the V1 commands (same
 * weights), plus what holds and money moved at Stripe bring — the bank letting a hold go, the
 * hold-deadline job and clock steps that reach a hold's margin or its end, captures scripted and
 * raced, Dashboard refunds, disputes.
 */
export const lifecycleCommand: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null).map(() => new CreatePaidReservation()) },
  { weight: 2, arbitrary: fc.constant(null).map(() => new CreateBookedReservation()) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom<StripeOutcome>('succeed', 'succeed', 'succeed', 'refuse', 'unavailable', 'ambiguous')
      .map((stripe) => new CreateReservation(stripe)),
  },
  {
    weight: 5,
    arbitrary: fc
      .tuple(index, fc.constantFrom('succeeded' as const, 'succeeded' as const, 'succeeded' as const, 'declined' as const, 'processing' as const))
      .map(([i, result]) => new CustomerPays(i, result)),
  },
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.nat(), fc.constantFrom<Delivery>('next', 'next', 'next', 'latest', 'any', 'twiceAtOnce', 'freshId'))
      .map(([i, delivery]) => new DeliverWebhook(i, delivery)),
  },
  { weight: 6, arbitrary: fc.boolean().map((parallel) => new DrainOutbox(parallel)) },
  { weight: 4, arbitrary: supplierAnswersV2.map((outcomes) => new SupplierWillAnswer(outcomes)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom<StripeOperation>('create', 'retrieve', 'cancel', 'capture', 'capture', 'refund', 'listRefunds'), stripeOutcome)
      .map(([operation, outcome]) => new StripeWillAnswer(operation, outcome)),
  },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(1, 11, 31, 61, 6 * HOUR_MINUTES + 1, 25 * HOUR_MINUTES, INTO_HOLD_MARGIN_MINUTES, INTO_HOLD_MARGIN_MINUTES, PAST_HOLD_MINUTES)
      .map((minutes) => new AdvanceClock(minutes)),
  },
  { weight: 2, arbitrary: fc.constantFrom<Job>('expiry', 'reconciliation', 'holdDeadline', 'holdDeadline').map((job) => new RunJob(job)) },
  { weight: 2, arbitrary: index.map((i) => new OperatorRetriesBooking(i)) },
  { weight: 3, arbitrary: fc.tuple(index, stripeOutcome).map(([i, stripe]) => new OperatorRefunds(i, stripe)) },
  {
    weight: 3,
    arbitrary: fc.tuple(index, fc.boolean(), stripeOutcome).map(([i, retryFirst, stripe]) => new RaceRefundAgainstBookingRun(i, retryFirst, stripe)),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(index, fc.boolean(), stripeOutcome).map(([i, retryFirst, stripe]) => new RaceBookingRunAgainstRefund(i, retryFirst, stripe)),
  },
  { weight: 1, arbitrary: index.map((i) => new BankReleasesHold(i)) },
  { weight: 3, arbitrary: fc.tuple(index, fc.constantFrom('full' as const, 'partial' as const)).map(([i, amount]) => new DashboardRefund(i, amount)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(index, fc.boolean(), fc.constantFrom('fraudulent', 'product_not_received', 'duplicate'))
      .map(([i, inquiry, reason]) => new BankOpensDispute(i, inquiry, reason)),
  },
  { weight: 3, arbitrary: fc.tuple(index, fc.constantFrom<DisputeStep>('evidence', 'won', 'lost')).map(([i, step]) => new DisputeMoves(i, step)) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom<StripeOperation>('capture', 'capture', 'cancel', 'refund'),
        index,
        fc.constantFrom<MeanwhileAtStripe>('bankReleasesHold', 'deliverNext', 'dashboardRefund', 'holdDeadline', 'drain'),
      )
      .map(([operation, i, meanwhile]) => new RaceAtStripe(operation, i, meanwhile)),
  },
);

/**
 * After the commands: Stripe delivers what it still owes, the suppliers answer again, time
 * passes beyond every backoff (and the banks let go of holds whose deadline passed), the jobs
 * run and the outbox drains, until nothing is left to do.
 */
export async function settle(world: LifecycleWorld): Promise<void> {
  world.supplier.clearScript();
  world.payments.clearScripts();
  for (let round = 0; round < 10; round++) {
    for (const event of world.payments.events.filter((e) => !e.acknowledged)) await world.deliver(event);
    world.clock.advance(7 * 3600_000);
    world.payments.releaseExpiredHolds();
    await world.reconcile();
    await world.expire();
    await world.holdDeadlines();
    await world.drain();
    await world.drain();
    const busy = await world.dataSource.query(
      "SELECT COUNT(*) AS n FROM outbox_events WHERE status = 'PROCESSING' OR (status = 'PENDING' AND next_attempt_at IS NOT NULL)",
    );
    if (Number(busy[0].n) === 0 && world.payments.events.every((e) => e.acknowledged)) return;
  }
}

/**
 * After settling, the holds the banks still keep run out: the clock goes to within the margin of
 * the nearest deadline, where the hold-deadline job applies its policy, then everything settles
 * again (time passing each hold's end, where its bank lets it go). A few steps, nearest first.
 * True when there was a hold to run out.
 */
export async function runOutHolds(world: LifecycleWorld): Promise<boolean> {
  let ran = false;
  for (let step = 0; step < 4; step++) {
    const deadlines = world.payments.openHolds().map((intent) => intent.captureBefore ?? Number.POSITIVE_INFINITY);
    if (deadlines.length === 0) break;
    ran = true;
    const intoMargin = Math.min(...deadlines) - (CAPTURE_MARGIN_HOURS / 2) * 3600_000;
    if (Number.isFinite(intoMargin) && intoMargin > world.clock.now().getTime()) world.clock.set(new Date(intoMargin));
    await world.holdDeadlines();
    await world.drain();
    await world.drain();
    await settle(world);
  }
  return ran;
}
