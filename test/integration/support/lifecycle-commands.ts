import fc from 'fast-check';
import { aReservation } from '../../support/builders';
import { StripeOperation, StripeOutcome } from '../../support/fakes/fake-payment-gateway';
import { SupplierOutcome } from '../../support/fakes/fake-supplier-gateway';
import { checkInvariants } from './lifecycle-invariants';
import { LifecycleWorld } from './lifecycle-world';

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

export type Delivery = 'next' | 'any' | 'twiceAtOnce' | 'freshId';

/** Stripe POSTs an event: the oldest unacknowledged (in order), any (late, duplicate, out of order), twice at once, or under a new id. */
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
    const event = this.delivery === 'next' ? unacknowledged[0] : all[this.pickIndex % Math.max(all.length, 1)];
    if (!event) return;
    if (this.delivery === 'twiceAtOnce') await Promise.all([world.deliver(event), world.deliver(event)]);
    else await world.deliver(event, this.delivery === 'freshId' ? world.freshEventId() : event.id);
  }
  toString() {
    return `Deliver(${this.delivery}${this.delivery === 'next' ? '' : ` #${this.pickIndex}`})`;
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
    return `SupplierWillAnswer(${this.outcomes.join(', ')})`;
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
  }
  toString() {
    return `AdvanceClock(${this.minutes} min)`;
  }
}

export class RunJob extends Step {
  constructor(readonly job: 'expiry' | 'reconciliation') {
    super();
  }
  protected override get needsReservation() {
    return false;
  }
  protected async act(world: LifecycleWorld) {
    await (this.job === 'expiry' ? world.expire() : world.reconcile());
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

/** Every command, weighted towards what moves a reservation along. */
export const lifecycleCommand: fc.Arbitrary<Command> = fc.oneof(
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

/**
 * After the commands: Stripe delivers what it still owes, the suppliers answer again, time
 * passes beyond every backoff, the jobs run and the outbox drains, until nothing is left to do.
 */
export async function settle(world: LifecycleWorld): Promise<void> {
  world.supplier.clearScript();
  world.payments.clearScripts();
  for (let round = 0; round < 10; round++) {
    for (const event of world.payments.events.filter((e) => !e.acknowledged)) await world.deliver(event);
    world.clock.advance(7 * 3600_000);
    await world.reconcile();
    await world.expire();
    await world.drain();
    await world.drain();
    const busy = await world.dataSource.query(
      "SELECT COUNT(*) AS n FROM outbox_events WHERE status = 'PROCESSING' OR (status = 'PENDING' AND next_attempt_at IS NOT NULL)",
    );
    if (Number(busy[0].n) === 0 && world.payments.events.every((e) => e.acknowledged)) return;
  }
}
