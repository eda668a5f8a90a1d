import { SchedulerRegistry } from '@nestjs/schedule';
import { Test, TestingModule } from '@nestjs/testing';
import { Logger as PinoLogger } from 'nestjs-pino';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { Clock, DomainError } from '@app/core';
import { OutboxDrainer } from '@app/outbox';
import { ExpireUnpaidReservationsJob, PaymentGateway, ReconcilePaymentsJob, STRIPE_API_VERSION } from '@app/payments';
import { CreateReservationHandler } from '@app/reservations/testing';
import { Reservation } from '@app/reservations';
import { ReceiveStripeEventHandler } from '@app/stripe-webhook';
import { RefundReservationHandler, RetrySupplierBookingNowHandler, SupplierGateways } from '@app/supplier-booking';
import { AppModule } from '../../../apps/api/src/app.module';
import { FakeClock } from '../../support/fakes/fake-clock';
import { FakePaymentGateway, FakeStripeEvent } from '../../support/fakes/fake-payment-gateway';
import { FakeSupplierGateway } from '../../support/fakes/fake-supplier-gateway';
import { createTestDatabase, DatabaseKind, TestDatabase } from '../../support/test-database';

/** The tables a lifecycle writes; the reference data stays. Children first (foreign keys). */
const WRITTEN_TABLES = [
  'audit_log',
  'receipts',
  'reservation_supplier_requests',
  'reservation_status_history',
  'reservations',
  'idempotency_keys',
  'outbox_events',
  'stripe_webhook_events',
];

const WEBHOOK_SECRET = process.env.STRIPE_WEBHOOK_SECRET ?? 'whsec_tests_secret';
const signer = new Stripe('sk_test_signing_only');

/** What an operator's action came to: done, or refused with a domain error (a 409, a 502…), which is an answer, not a failure. */
export type OperatorAnswer = { ok: true } | { ok: false; code: string };

/**
 * The product's own handlers on a real, migrated and seeded database, with hand-written fakes
 * for the ports (Stripe, the suppliers, the clock). Nothing runs by itself: the outbox drainer
 * and the scheduled jobs are off, and the test drives each step.
 */
export class LifecycleWorld {
  /** Reservations created in the current run, in order. */
  readonly codes: string[] = [];
  /** Highest lock_version seen per reservation (invariant: it only grows). */
  readonly lockVersions = new Map<string, number>();
  private eventSequence = 0;

  private constructor(
    readonly kind: DatabaseKind,
    private readonly database: TestDatabase,
    readonly moduleRef: TestingModule,
    readonly clock: FakeClock,
    readonly payments: FakePaymentGateway,
    readonly supplier: FakeSupplierGateway,
  ) {}

  static async start(kind: DatabaseKind): Promise<LifecycleWorld> {
    const database = await createTestDatabase(kind);
    Object.assign(process.env, {
      DATABASE_URL: database.url,
      DATABASE_SEED_ON_START: 'true',
      DATABASE_MIGRATE_ON_START: 'true',
      // The test drains the outbox itself, one batch per command.
      OUTBOX_ENABLED: 'false',
      PAYMENT_JOBS_INTERVAL_MS: '3600000',
      // The breaker is per process and would carry one run's outage into the next.
      SUPPLIER_BREAKER_FAILURES: '1000',
      SUPPLIER_TIMEOUT_MS: '5000',
    });
    const clock = new FakeClock();
    const payments = new FakePaymentGateway(clock);
    const supplier = new FakeSupplierGateway();
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot()] })
      .overrideProvider(Clock)
      .useValue(clock)
      .overrideProvider(PaymentGateway)
      .useValue(payments)
      .overrideProvider(SupplierGateways)
      .useValue(supplier.registry())
      .compile();
    // The app's logger (LOG_LEVEL, silent in tests), not Nest's console logger.
    moduleRef.useLogger(moduleRef.get(PinoLogger));
    try {
      await moduleRef.init();
    } catch (error) {
      await moduleRef.close().catch(() => undefined);
      await database.drop();
      throw error;
    }
    // Scheduled work (payment jobs, money-safety, retention) is the test's to run, not a timer's.
    const scheduler = moduleRef.get(SchedulerRegistry);
    for (const name of scheduler.getIntervals()) scheduler.deleteInterval(name);
    for (const name of scheduler.getTimeouts()) scheduler.deleteTimeout(name);
    for (const name of scheduler.getCronJobs().keys()) scheduler.deleteCronJob(name);
    return new LifecycleWorld(kind, database, moduleRef, clock, payments, supplier);
  }

  get dataSource(): DataSource {
    return this.moduleRef.get(DataSource);
  }

  private get<T>(token: abstract new (...args: never[]) => T): T {
    return this.moduleRef.get(token as never, { strict: false }) as T;
  }

  /** Empties the tables and the fakes between runs: one database per file, not per run. */
  async reset(): Promise<void> {
    for (const table of WRITTEN_TABLES) await this.dataSource.query(`DELETE FROM ${table}`);
    this.codes.length = 0;
    this.lockVersions.clear();
    this.payments.reset();
    this.supplier.reset();
    this.clock.set(new Date());
  }

  async close(): Promise<void> {
    await this.moduleRef.close();
    await this.database.drop();
  }

  // --- the product's entry points -------------------------------------------------------------

  async create(input: Parameters<CreateReservationHandler['execute']>[0]): Promise<string> {
    const reservation = await this.get(CreateReservationHandler).execute(input);
    this.codes.push(reservation.code);
    return reservation.code;
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

  expire(): Promise<number> {
    return this.get(ExpireUnpaidReservationsJob).run();
  }

  reconcile(): Promise<number> {
    return this.get(ReconcilePaymentsJob).run();
  }

  async retryNow(code: string): Promise<OperatorAnswer> {
    const lockVersion = (await this.reservation(code)).lockVersion;
    return answered(this.get(RetrySupplierBookingNowHandler).execute({ reservationCode: code, lockVersion, actor: 'admin:model' }));
  }

  async refund(code: string): Promise<OperatorAnswer> {
    const lockVersion = (await this.reservation(code)).lockVersion;
    return answered(
      this.get(RefundReservationHandler).execute({ reservationCode: code, lockVersion, reason: 'no supplier can serve it', actor: 'admin:model' }),
    );
  }

  reservation(code: string): Promise<Reservation> {
    return this.dataSource.getRepository(Reservation).findOneByOrFail({ code });
  }
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
