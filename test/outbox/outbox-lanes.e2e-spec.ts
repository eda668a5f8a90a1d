import { Injectable, Module } from '@nestjs/common';
import { TransactionRunner } from '@app/core';
import { Outbox, OutboxEvent, OutboxEventHandler, OutboxHandler, OutboxMessage, OutboxStatus } from '@app/outbox';
import { startTestApp, TestApp } from '../support/test-app';
import { DEFAULT_STALL_MS, waitUntil } from '../support/wait-for-progress';
import { DATABASE_KINDS } from '../support/test-database';

/** Holds every run until the test lets go: a lane with a backlog that does not move. */
@Injectable()
@OutboxHandler('TEST_HELD', { lane: 'held' })
class HeldHandler implements OutboxEventHandler {
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

@Module({ providers: [HeldHandler, QuickHandler] })
class LaneHandlersModule {}

const HELD_CONCURRENCY = 3;
const ENV = {
  // Only the nudge hands events over: the poll is an hour away.
  OUTBOX_POLL_INTERVAL_MS: '3600000',
  OUTBOX_CONCURRENCY: '16',
  OUTBOX_LANE_CONCURRENCY: `held=${HELD_CONCURRENCY}`,
};

describe.each(DATABASE_KINDS)('outbox lanes on %s', (kind) => {
  const waitFor = (condition: () => Promise<boolean> | boolean) => waitUntil(condition, DEFAULT_STALL_MS, 10);

  describe('a backlog in one lane', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(kind, { imports: [LaneHandlersModule], env: ENV });
    });
    afterAll(async () => {
      t.app.get(HeldHandler).open();
      await t.close();
    });

    const enqueue = (type: string, payload: Record<string, unknown>) =>
      t.app.get(TransactionRunner).run((manager) => t.app.get(Outbox).enqueue(manager, { type, aggregateType: 'test', aggregateId: 'a1', payload }));

    it('never delays another lane, and runs no more at once than its own concurrency', async () => {
      const held = t.app.get(HeldHandler);
      const quick = t.app.get(QuickHandler);
      // 250 held events: two and a half batches, of which only HELD_CONCURRENCY ever start.
      await t.app.get(TransactionRunner).run(async (manager) => {
        for (let n = 0; n < 250; n++) {
          await t.app.get(Outbox).enqueue(manager, { type: 'TEST_HELD', aggregateType: 'test', aggregateId: `h${n}`, payload: {} });
        }
      });
      await waitFor(() => held.started === HELD_CONCURRENCY);

      // With one lane for all, these would queue behind the held batch for good.
      for (let n = 0; n < 20; n++) {
        await enqueue('TEST_QUICK', { n });
        await waitFor(() => quick.ran.has(n));
      }
      const events = t.dataSource.getRepository(OutboxEvent);
      await waitFor(async () => (await events.countBy({ type: 'TEST_QUICK', status: OutboxStatus.DONE })) === 20);
      expect(held.started).toBe(HELD_CONCURRENCY);
      expect(await events.countBy({ type: 'TEST_HELD', status: OutboxStatus.DONE })).toBe(0);
      expect(new Set((await events.find()).map((event) => `${event.type}:${event.lane}`))).toEqual(new Set(['TEST_HELD:held', 'TEST_QUICK:quick']));
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
