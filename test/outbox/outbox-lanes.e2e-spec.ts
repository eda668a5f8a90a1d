import { Injectable, Module } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TransactionRunner } from '@app/core';
import { Outbox, OutboxEvent, OutboxEventHandler, OutboxHandler, OutboxMessage, OutboxStatus } from '@app/outbox';
import { startTestApp, TestApp } from '../support/test-app';
import { DEFAULT_STALL_MS, waitUntil } from '../support/wait-for-progress';
import { DatabaseKind, DATABASE_KINDS } from '../support/test-database';

/** Holds every run until the test lets go: a lane with a backlog that does not move. */
class Held implements OutboxEventHandler {
  started = 0;
  private release?: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));

  // Idempotent: a counter only.
  async handle(): Promise<void> {
    this.started++;
    await this.gate;
  }

  open(): void {
    this.release?.();
  }
}

/** Its lane runs 2 at once, as declared. */
@Injectable()
@OutboxHandler('TEST_HELD', { lane: 'held', concurrency: 2 })
class HeldHandler extends Held {}

/** Declares 5, but OUTBOX_LANE_CONCURRENCY says 3: the operator wins. */
@Injectable()
@OutboxHandler('TEST_HELD_BY_ENV', { lane: 'held-env', concurrency: 5 })
class HeldByEnvHandler extends Held {}

/** Notes each event it ran. */
@Injectable()
@OutboxHandler('TEST_QUICK', { lane: 'quick' })
class QuickHandler implements OutboxEventHandler<{ n: number }> {
  readonly ran = new Set<number>();

  // Idempotent: a set.
  async handle(message: OutboxMessage<{ n: number }>): Promise<void> {
    this.ran.add(message.payload.n);
  }
}

/** Work that may wait: gives way while another lane has a backlog. */
@Injectable()
@OutboxHandler('TEST_LATER', { lane: 'later', background: true })
class LaterHandler implements OutboxEventHandler<{ n: number }> {
  readonly ran = new Set<number>();

  // Idempotent: a set.
  async handle(message: OutboxMessage<{ n: number }>): Promise<void> {
    this.ran.add(message.payload.n);
  }
}

@Module({ providers: [HeldHandler, HeldByEnvHandler, QuickHandler, LaterHandler] })
class LaneHandlersModule {}

const ENV = {
  // Only the nudge hands events over: the poll is an hour away.
  OUTBOX_POLL_INTERVAL_MS: '3600000',
  OUTBOX_CONCURRENCY: '16',
  OUTBOX_LANE_CONCURRENCY: 'held-env=3',
};

/** One app with the lane handlers, per describe; the held lanes are let go before it closes. */
function useLaneApp(kind: DatabaseKind) {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind, { imports: [LaneHandlersModule], env: ENV });
  });
  afterAll(async () => {
    t.app.get(HeldHandler).open();
    t.app.get(HeldByEnvHandler).open();
    await t.close();
  });
  const run = <T>(work: (manager: EntityManager, outbox: Outbox) => Promise<T>) =>
    t.app.get(TransactionRunner).run((manager) => work(manager, t.app.get(Outbox)));
  return {
    app: () => t,
    enqueue: (type: string, payload: Record<string, unknown>) =>
      run((manager, outbox) => outbox.enqueue(manager, { type, aggregateType: 'test', aggregateId: 'a1', payload })),
    /** `count` events in one transaction, the type of each chosen by its number. */
    enqueueMany: (count: number, typeOf: (n: number) => string) =>
      run(async (manager, outbox) => {
        for (let n = 0; n < count; n++) await outbox.enqueue(manager, { type: typeOf(n), aggregateType: 'test', aggregateId: `h${n}`, payload: {} });
      }),
  };
}

describe.each(DATABASE_KINDS)('outbox lanes on %s', (kind) => {
  const waitFor = (condition: () => Promise<boolean> | boolean) => waitUntil(condition, DEFAULT_STALL_MS, 10);

  describe('a backlog in one lane', () => {
    const { app: t, enqueue, enqueueMany } = useLaneApp(kind);

    it('never delays another lane, and runs no more at once than its own concurrency', async () => {
      const held = t().app.get(HeldHandler);
      const heldByEnv = t().app.get(HeldByEnvHandler);
      const quick = t().app.get(QuickHandler);
      // 250 held events: two and a half batches, of which only a lane's concurrency ever start.
      await enqueueMany(250, (n) => (n % 2 === 0 ? 'TEST_HELD' : 'TEST_HELD_BY_ENV'));
      await waitFor(() => held.started === 2 && heldByEnv.started === 3);

      // With one lane for all, these would queue behind the held batch for good.
      for (let n = 0; n < 20; n++) {
        await enqueue('TEST_QUICK', { n });
        await waitFor(() => quick.ran.has(n));
      }
      const events = t().dataSource.getRepository(OutboxEvent);
      await waitFor(async () => (await events.countBy({ type: 'TEST_QUICK', status: OutboxStatus.DONE })) === 20);
      expect([held.started, heldByEnv.started]).toEqual([2, 3]);
      expect(await events.countBy({ status: OutboxStatus.DONE })).toBe(20);
      expect(new Set((await events.find()).map((event) => `${event.type}:${event.lane}`))).toEqual(
        new Set(['TEST_HELD:held', 'TEST_HELD_BY_ENV:held-env', 'TEST_QUICK:quick']),
      );
    });
  });

  describe('a background lane', () => {
    const { app: t, enqueue, enqueueMany } = useLaneApp(kind);

    it('waits while another lane has a backlog, and runs once it is drained', async () => {
      const held = t().app.get(HeldHandler);
      const quick = t().app.get(QuickHandler);
      const later = t().app.get(LaterHandler);
      await enqueueMany(150, () => 'TEST_HELD');
      // A full batch of 100 claimed and running: "held" has a backlog.
      await waitFor(() => held.started === 2);
      await enqueue('TEST_LATER', { n: 1 });
      // Enqueued after it, in a lane that is not background: this one runs at once.
      await enqueue('TEST_QUICK', { n: 1 });
      await waitFor(() => quick.ran.has(1));
      expect(later.ran.size).toBe(0);

      held.open();
      await waitFor(() => later.ran.has(1));
      const events = t().dataSource.getRepository(OutboxEvent);
      await waitFor(async () => (await events.countBy({ status: OutboxStatus.DONE })) === 152);
      expect(held.started).toBe(150);
    });
  });

  it('an event written before lanes (in "default") moves to its handler\'s lane at start, and runs', async () => {
    const first = await startTestApp(kind, { imports: [LaneHandlersModule], env: ENV });
    let second: TestApp | undefined;
    try {
      // No handler here uses "default": this process never claims the row.
      const now = new Date();
      await first.dataSource.getRepository(OutboxEvent).insert({
        type: 'TEST_QUICK', lane: 'default', aggregateType: 'test', aggregateId: 'old', payload: JSON.stringify({ n: 7 }),
        status: OutboxStatus.PENDING, attempts: 0, nextAttemptAt: now, leaseOwner: null, leaseExpiresAt: null, lastError: null,
        createdAt: now, updatedAt: now, processedAt: null,
      });
      await first.app.close();

      second = await startTestApp(kind, { imports: [LaneHandlersModule], env: ENV, databaseUrl: first.database.url });
      const quick = second.app.get(QuickHandler);
      await waitFor(() => quick.ran.has(7));
      const [row] = await second.dataSource.getRepository(OutboxEvent).find();
      expect(row.lane).toBe('quick');
      await waitFor(async () => (await second!.dataSource.getRepository(OutboxEvent).findOneByOrFail({ id: row.id })).status === OutboxStatus.DONE);
    } finally {
      await second?.close();
      await first.database.drop();
    }
  });
});

describe("the product's lanes", () => {
  let t: TestApp;
  beforeAll(async () => {
    // Nothing drains here: the rows stay as enqueue wrote them.
    t = await startTestApp('sqlite', { env: { OUTBOX_ENABLED: 'false' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('keep receipts and mail out of the lane of bookings, and payments in their own', async () => {
    const lanes = {
      CREATE_PAYMENT_INTENT: 'payments',
      CANCEL_PAYMENT_INTENT: 'payments',
      SETTLE_REFUND: 'payments',
      BOOK_WITH_SUPPLIER: 'bookings',
      RETRY_SUPPLIER_BOOKING: 'bookings',
      CHECK_SUPPLIER_AFTER_REFUND: 'bookings',
      ISSUE_RECEIPT: 'receipts',
      SEND_RECEIPT_EMAIL: 'mail',
      // Ordered lanes (ADR 0017): each reservation's changes go out in order, each sink on its own.
      PUBLISH_LIFECYCLE_EVENT: 'events',
      SEND_STATUS_WEBHOOK: 'webhooks',
    };
    await t.app.get(TransactionRunner).run(async (manager) => {
      for (const type of Object.keys(lanes)) {
        await t.app.get(Outbox).enqueue(manager, { type, aggregateType: 'test', aggregateId: type, payload: {} });
      }
    });
    const rows = await t.dataSource.getRepository(OutboxEvent).find();
    expect(Object.fromEntries(rows.map((row) => [row.type, row.lane]))).toEqual(lanes);
  });
});

describe('OUTBOX_LANE_CONCURRENCY', () => {
  it('refuses, at start, a lane no handler uses, and names the lanes there are', async () => {
    // startTestApp leaves its variables in process.env: say each one this test depends on.
    const started = startTestApp('sqlite', { env: { OUTBOX_ENABLED: 'true', OUTBOX_LANE_CONCURRENCY: 'bookngs=8' } });
    // Should it start after all, it is closed, so that the failure is the assertion's.
    started.then((app) => app.close()).catch(() => undefined);
    await expect(started).rejects.toThrow(
      'OUTBOX_LANE_CONCURRENCY names lanes no handler uses: bookngs (lanes: bookings, events, mail, payments, receipts, webhooks).',
    );
  });
});
