import { SchedulerRegistry } from '@nestjs/schedule';
import { Test, TestingModule } from '@nestjs/testing';
import { Logger as PinoLogger } from 'nestjs-pino';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { Clock, DomainError } from '@app/core';
import { OutboxDrainer, OutboxEvent } from '@app/outbox';
import { ExpireUnpaidReservationsJob, PaymentGateway, ReconcilePaymentsJob, STRIPE_API_VERSION } from '@app/payments';
import { CreateReservationHandler, CreateReservationInput } from '@app/reservations/testing';
import { Reservation, ReservationStatusHistory } from '@app/reservations';
import { ReceiveStripeEventHandler } from '@app/stripe-webhook';
import {
  HoldDeadlineJob,
  MoneySafetyCheck,
  RefundReservationHandler,
  RetrySupplierBookingNowHandler,
  SupplierGatewayRegistry,
} from '@app/supplier-booking';
import { AppModule } from '../../../apps/api/src/app.module';
import { FakeClock } from '../../support/fakes/fake-clock';
import { FakePaymentGateway, FakeStripeEvent } from '../../support/fakes/fake-payment-gateway';
import { FakeSupplierGateway } from '../../support/fakes/fake-supplier-gateway';
import { DatabaseKind } from '../../support/test-database';
import { cleanTables, workerDatabase } from '../../support/worker-database';

const WEBHOOK_SECRET = process.env.STRIPE_WEBHOOK_SECRET ?? 'whsec_tests_secret';
const signer = new Stripe('sk_test_signing_only');
/** More drains than any chain of events a test starts (payment → booking → receipt → e-mail): a loop, not work. */
const MAX_DRAINS = 20;

/** What an operator's action came to: done, or refused with a domain error (a 409, a 502…), which is an answer, not a failure. */
export type OperatorAnswer = { ok: true } | { ok: false; code: string };

/** What the money-safety check reports of one reservation (the fields the tests read). */
export interface MoneyAtRiskEntry {
  reservation_code: string;
  status: string;
  problem: string;
  needs_attention: boolean;
  refunded_amount: number | null;
  dispute_status: string | null;
}

/** What the hold-deadline job did in one run. */
export interface HoldDeadlineRun {
  learnt: number;
  captured: number;
  released: number;
}

export interface IntegrationParts {
  kind: DatabaseKind;
  moduleRef: TestingModule;
  clock: FakeClock;
  payments: FakePaymentGateway;
  supplier: FakeSupplierGateway;
}

/**
 * Builds `AppModule` on this worker's database (migrated once per worker, seeded) with the
 * fakes at the ports. Nothing runs by itself: the outbox drainer's schedule is off
 * (`OUTBOX_ENABLED=false`) and every scheduled job is removed; the test drives each step.
 */
export async function startIntegrationModule(kind: DatabaseKind, env: Record<string, string> = {}): Promise<IntegrationParts> {
  const database = await workerDatabase(kind);
  Object.assign(process.env, {
    DATABASE_URL: database.url,
    // Migrated by workerDatabase; the seeder only counts the suppliers once they are there.
    DATABASE_MIGRATE_ON_START: 'false',
    DATABASE_SEED_ON_START: 'true',
    OUTBOX_ENABLED: 'false',
    PAYMENT_JOBS_INTERVAL_MS: '3600000',
    // The breaker is per process and would carry one test's outage into the next.
    SUPPLIER_BREAKER_FAILURES: '1000',
    SUPPLIER_TIMEOUT_MS: '5000',
    ...env,
  });
  const clock = new FakeClock();
  const payments = new FakePaymentGateway(clock);
  const supplier = new FakeSupplierGateway();
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot()] })
    .overrideProvider(Clock)
    .useValue(clock)
    .overrideProvider(PaymentGateway)
    .useValue(payments)
    .overrideProvider(SupplierGatewayRegistry)
    .useValue(supplier.registry())
    .compile();
  // The app's logger (LOG_LEVEL, silent in tests), not Nest's console logger.
  moduleRef.useLogger(moduleRef.get(PinoLogger));
  try {
    await moduleRef.init();
  } catch (error) {
    await moduleRef.close().catch(() => undefined);
    throw error;
  }
  // Scheduled work (payment jobs, money-safety, retention) is the test's to run, not a timer's.
  const scheduler = moduleRef.get(SchedulerRegistry);
  for (const name of scheduler.getIntervals()) scheduler.deleteInterval(name);
  for (const name of scheduler.getTimeouts()) scheduler.deleteTimeout(name);
  for (const name of scheduler.getCronJobs().keys()) scheduler.deleteCronJob(name);
  return { kind, moduleRef, clock, payments, supplier };
}

/** The product's own handlers on a real database, with hand-written fakes for Stripe, the suppliers and the clock. */
export class IntegrationApp {
  readonly kind: DatabaseKind;
  readonly moduleRef: TestingModule;
  readonly clock: FakeClock;
  readonly payments: FakePaymentGateway;
  readonly supplier: FakeSupplierGateway;
  private eventSequence = 0;

  constructor(parts: IntegrationParts) {
    ({ kind: this.kind, moduleRef: this.moduleRef, clock: this.clock, payments: this.payments, supplier: this.supplier } = parts);
  }

  static async start(kind: DatabaseKind, env: Record<string, string> = {}): Promise<IntegrationApp> {
    return new IntegrationApp(await startIntegrationModule(kind, env));
  }

  get dataSource(): DataSource {
    return this.moduleRef.get(DataSource);
  }

  get<T>(token: abstract new (...args: never[]) => T): T {
    return this.moduleRef.get(token as never, { strict: false }) as T;
  }

  /** Between tests: the tables (`cleanTables`: all but the migrations and the reference data), the fakes and the clock. */
  async reset(): Promise<void> {
    await cleanTables(this.dataSource);
    this.payments.reset();
    this.supplier.reset();
    this.clock.set(new Date());
  }

  /** Closes the app; the database stays for the worker's next test file. */
  async close(): Promise<void> {
    await this.moduleRef.close();
  }

  // --- the product's entry points -------------------------------------------------------------

  createReservation(input: CreateReservationInput): Promise<Reservation> {
    return this.get(CreateReservationHandler).execute(input);
  }

  /** The customer pays the reservation's PaymentIntent at "Stripe"; returns the event Stripe would send. */
  async pay(code: string, result: 'succeeded' | 'declined' | 'processing' = 'succeeded'): Promise<FakeStripeEvent> {
    const intent = (await this.reservation(code)).paymentIntentId;
    if (!intent || !this.payments.customerPays(intent, result)) throw new Error(`${code}: the customer cannot pay (intent ${intent ?? 'none'})`);
    return this.payments.events.at(-1)!;
  }

  /** POSTs a Stripe event to the webhook handler, signed as Stripe signs; `id` other than the event's is a fresh event. */
  async deliver(event: FakeStripeEvent, id: string = event.id): Promise<string> {
    const payload = JSON.stringify({
      id,
      object: 'event',
      api_version: STRIPE_API_VERSION,
      created: event.created,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type: event.type,
      data: { object: event.object },
    });
    const signature = signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    const outcome = await this.get(ReceiveStripeEventHandler).execute(Buffer.from(payload), signature);
    if (id === event.id) {
      event.acknowledged = true;
      event.deliveries++;
    }
    return outcome;
  }

  freshEventId(): string {
    return `evt_fresh_${++this.eventSequence}`;
  }

  /** One drain: every outbox event due now, as the scheduled drainer would claim them. */
  drain(): Promise<number> {
    return this.get(OutboxDrainer).drain();
  }

  /** Drains until a drain finds nothing due (what handlers enqueue is due at once; retries are later on the clock). */
  async settle(): Promise<void> {
    for (let drains = 0; drains < MAX_DRAINS; drains++) if ((await this.drain()) === 0) return;
    throw new Error(`the outbox still had work after ${MAX_DRAINS} drains: events enqueue each other`);
  }

  expire(): Promise<number> {
    return this.get(ExpireUnpaidReservationsJob).run();
  }

  reconcile(): Promise<number> {
    return this.get(ReconcilePaymentsJob).run();
  }

  /** The hold-deadline job (PAYMENT_CAPTURE=after_supplier_confirmation): learns deadlines, applies the policy near them. */
  holdDeadlines(): Promise<HoldDeadlineRun> {
    return this.get(HoldDeadlineJob).run();
  }

  /** The money-safety check, as the admin route and the CLI run it. */
  async moneySafety(olderThanMinutes = 0): Promise<MoneyAtRiskEntry[]> {
    return (await this.get(MoneySafetyCheck).run(olderThanMinutes)).reservations;
  }

  async retryNow(code: string): Promise<OperatorAnswer> {
    const lockVersion = (await this.reservation(code)).lockVersion;
    return answered(this.get(RetrySupplierBookingNowHandler).execute({ reservationCode: code, lockVersion, actor: 'admin:test' }));
  }

  async refund(code: string): Promise<OperatorAnswer> {
    const lockVersion = (await this.reservation(code)).lockVersion;
    return answered(
      this.get(RefundReservationHandler).execute({ reservationCode: code, lockVersion, reason: 'no supplier can serve it', actor: 'admin:test' }),
    );
  }

  // --- what happened -------------------------------------------------------------------------

  reservation(code: string): Promise<Reservation> {
    return this.dataSource.getRepository(Reservation).findOneByOrFail({ code });
  }

  /** The status moves of a reservation, oldest first: `PAID->SUPPLIER_CONFIRMED`. */
  async history(code: string): Promise<string[]> {
    const { id } = await this.reservation(code);
    const rows = await this.dataSource.getRepository(ReservationStatusHistory).find({ where: { reservationId: id }, order: { id: 'ASC' } });
    return rows.map((row) => `${row.fromStatus}->${row.toStatus}`);
  }

  events(type: string, code: string): Promise<OutboxEvent[]> {
    return this.dataSource.getRepository(OutboxEvent).find({ where: { type, aggregateId: code }, order: { id: 'ASC' } });
  }

}

/**
 * The integration app of a spec (or of one `describe.each` kind): started once, its tables and
 * fakes reset before each test, closed after the last. Returns a getter: the app exists once
 * `beforeAll` has run.
 */
export function useIntegrationApp(kind: DatabaseKind, env: Record<string, string> = {}): () => IntegrationApp {
  let app: IntegrationApp | undefined;
  beforeAll(async () => {
    app = await IntegrationApp.start(kind, env);
  });
  afterAll(async () => {
    await app?.close();
  });
  beforeEach(async () => {
    await app?.reset();
  });
  return () => {
    if (!app) throw new Error(`the integration app on ${kind} did not start (see the beforeAll error)`);
    return app;
  };
}

/** An operator's action: a domain error is the product answering (409, 404, 502), anything else is a failure. */
async function answered(action: Promise<unknown>): Promise<OperatorAnswer> {
  try {
    await action;
    return { ok: true };
  } catch (error) {
    if (error instanceof DomainError) return { ok: false, code: error.code };
    throw error;
  }
}
