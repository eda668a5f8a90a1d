import request from 'supertest';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, TransactionRunner } from '@app/core';
import { backoffCeilingMs, Outbox, OutboxDrainer, OutboxEvent, OutboxStatus, UnknownOutboxEventTypeError } from '@app/outbox';
import { startTestApp, TestApp } from '../support/test-app';
import { DEFAULT_STALL_MS, waitUntil } from '../support/wait-for-progress';
import { createTestDatabase, DATABASE_KINDS } from '../support/test-database';
import { MIGRATIONS } from '../../migrations';
import { FlakyHandler, RecordingHandler, SlowHandler, TestHandlersModule } from './test-handlers';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
const BACKOFF = { baseMs: 40, maxMs: 160 };

describe.each(DATABASE_KINDS)('outbox engine on %s', (kind) => {
  let t: TestApp;
  let outbox: Outbox;
  let transactions: TransactionRunner;

  beforeAll(async () => {
    t = await startTestApp(kind, {
      imports: [TestHandlersModule],
      env: {
        ADMIN_API_TOKEN: ADMIN_TOKEN,
        // Only the nudge can hand events over here: the poll is an hour away, far beyond any
        // test's timeout. (How fast the nudge is: `npm run bench:outbox`, nudge_latency_ms.)
        OUTBOX_POLL_INTERVAL_MS: '3600000',
        OUTBOX_MAX_ATTEMPTS: '4',
        OUTBOX_BACKOFF_BASE_MS: String(BACKOFF.baseMs),
        OUTBOX_BACKOFF_MAX_MS: String(BACKOFF.maxMs),
      },
    });
    outbox = t.app.get(Outbox);
    transactions = t.app.get(TransactionRunner);
  });
  afterAll(async () => {
    t.app.get(SlowHandler).open();
    await t.close();
  });
  beforeEach(async () => {
    await t.reset();
  });

  const events = () => t.dataSource.getRepository(OutboxEvent);
  const enqueue = (type: string, payload: Record<string, unknown> = {}) =>
    transactions.run((manager) => outbox.enqueue(manager, { type, aggregateType: 'test', aggregateId: 'a1', payload }));
  const waitFor = (condition: () => Promise<boolean> | boolean) => waitUntil(condition, DEFAULT_STALL_MS, 10);

  it('an enqueue whose transaction rolls back leaves no event and runs nothing', async () => {
    const recorder = t.app.get(RecordingHandler);
    await expect(
      transactions.run(async (manager) => {
        await outbox.enqueue(manager, { type: 'TEST_RECORD', aggregateType: 'test', aggregateId: 'a1', payload: { n: -1 } });
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    // A drain now would run what was committed: nothing was.
    expect(await t.app.get(OutboxDrainer).drain()).toBe(0);
    expect(await events().count()).toBe(0);
    expect(recorder.started.has(-1)).toBe(false);
  });

  it('the nudge hands each committed event to its handler without waiting for the poll', async () => {
    const recorder = t.app.get(RecordingHandler);
    for (let n = 0; n < 100; n++) {
      await enqueue('TEST_RECORD', { n });
      // One at a time: each start is this enqueue's nudge, not a drain that was already going.
      await waitFor(() => recorder.started.has(n));
    }
    expect(recorder.started.size).toBeGreaterThanOrEqual(100);
    await waitFor(async () => (await events().countBy({ status: OutboxStatus.DONE })) === 100);
  });

  it('refuses to enqueue a type that has no handler, at once', async () => {
    await expect(enqueue('NOBODY_HANDLES_THIS')).rejects.toBeInstanceOf(UnknownOutboxEventTypeError);
    expect(await events().count()).toBe(0);
  });

  it('a failing handler: attempts grow, backoff stays under its growing ceiling, DEAD after the maximum; requeue revives it', async () => {
    const flaky = t.app.get(FlakyHandler);
    flaky.mode = 'fail';
    flaky.runs.length = 0;
    const id = await enqueue('TEST_FLAKY');
    const drainer = t.app.get(OutboxDrainer);

    const seen: OutboxEvent[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      await waitFor(() => flaky.runs.length >= attempt);
      await waitFor(async () => (await events().findOneByOrFail({ id })).status !== OutboxStatus.PROCESSING);
      const row = await events().findOneByOrFail({ id });
      seen.push(row);
      if (row.status !== OutboxStatus.PENDING) break;
      // The poll is an hour away: drive the drainer once the retry is due.
      await waitFor(() => Date.now() >= row.nextAttemptAt!.getTime());
      await drainer.drain();
    }
    expect(seen.map((row) => [row.attempts, row.status])).toEqual([
      [1, OutboxStatus.PENDING],
      [2, OutboxStatus.PENDING],
      [3, OutboxStatus.PENDING],
      [4, OutboxStatus.DEAD],
    ]);
    expect(seen.map((row) => row.lastError)).toEqual(Array(4).fill('Error: supplier said 503'));
    expect(seen[3].nextAttemptAt).toBeNull();
    const delays = seen.slice(0, 3).map((row) => ({
      delay: row.nextAttemptAt!.getTime() - row.updatedAt.getTime(),
      ceiling: backoffCeilingMs(row.attempts, BACKOFF),
    }));
    expect(flaky.runs.map((run) => run.attempt)).toEqual([1, 2, 3, 4]);
    expect(delays.map((d) => d.ceiling)).toEqual([40, 80, 160]);
    for (const d of delays) {
      expect(d.delay).toBeGreaterThanOrEqual(0);
      expect(d.delay).toBeLessThan(d.ceiling);
    }

    flaky.mode = 'succeed';
    const requeued = await request(t.server)
      .post(`/api/v1/admin/outbox/${id}/requeue`)
      .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
      .expect(200);
    expect(requeued.body).toMatchObject({ id, attempts: 0 });
    await waitFor(async () => (await events().findOneByOrFail({ id })).status === OutboxStatus.DONE);
    expect((await events().findOneByOrFail({ id })).attempts).toBe(1);
  });

  it('a non-retryable failure is DEAD at once; a handler may ask for its own delay', async () => {
    const flaky = t.app.get(FlakyHandler);
    flaky.mode = 'fatal';
    const fatal = await enqueue('TEST_FLAKY');
    await waitFor(async () => (await events().findOneByOrFail({ id: fatal })).status === OutboxStatus.DEAD);
    expect((await events().findOneByOrFail({ id: fatal })).attempts).toBe(1);

    flaky.mode = 'later';
    const later = await enqueue('TEST_FLAKY');
    await waitFor(async () => (await events().findOneByOrFail({ id: later })).status === OutboxStatus.PENDING && (await events().findOneByOrFail({ id: later })).attempts === 1);
    const row = await events().findOneByOrFail({ id: later });
    expect(row.nextAttemptAt!.getTime() - row.updatedAt.getTime()).toBe(5_000);
  });

  describe('operators', () => {
    it('admin routes need the bearer token (401) and compare it exactly', async () => {
      await request(t.server).get('/api/v1/admin/outbox').expect(401);
      const wrong = await request(t.server).get('/api/v1/admin/outbox').set('Authorization', `Bearer ${ADMIN_TOKEN}x`).expect(401);
      expect(wrong.headers['www-authenticate']).toBe('Bearer');
      expect(wrong.body.code).toBe('AUTH.UNAUTHORIZED');
      await request(t.server).get('/api/v1/admin/outbox').set('Authorization', `Basic ${ADMIN_TOKEN}`).expect(401);
    });

    it('lists events by status and type, newest first, with a cursor', async () => {
      const flaky = t.app.get(FlakyHandler);
      flaky.mode = 'fatal';
      const dead = await enqueue('TEST_FLAKY');
      for (let n = 1000; n < 1003; n++) await enqueue('TEST_RECORD', { n });
      await waitFor(async () => (await events().countBy({ status: OutboxStatus.DONE })) === 3);
      await waitFor(async () => (await events().countBy({ status: OutboxStatus.DEAD })) === 1);
      const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

      const deadOnes = await request(t.server).get('/api/v1/admin/outbox').query({ status: 'DEAD' }).set(auth).expect(200);
      expect(deadOnes.body.items.map((e: { id: number }) => e.id)).toEqual([dead]);
      expect(deadOnes.body.items[0]).toMatchObject({ type: 'TEST_FLAKY', last_error: 'NonRetryableOutboxError: rejected for good' });

      const page1 = await request(t.server).get('/api/v1/admin/outbox').query({ type: 'TEST_RECORD', limit: 2 }).set(auth).expect(200);
      expect(page1.body.items).toHaveLength(2);
      const page2 = await request(t.server)
        .get('/api/v1/admin/outbox')
        .query({ type: 'TEST_RECORD', limit: 2, cursor: page1.body.next_cursor })
        .set(auth)
        .expect(200);
      expect(page2.body.items).toHaveLength(1);
      expect(page2.body.next_cursor).toBeNull();
      const ids = [...page1.body.items, ...page2.body.items].map((e: { id: number }) => e.id);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));

      const stats = await request(t.server).get('/api/v1/admin/outbox/stats').set(auth).expect(200);
      expect(stats.body.byStatus).toMatchObject({ DONE: 3, DEAD: 1 });

      const bad = await request(t.server).get('/api/v1/admin/outbox').query({ status: 'LOST' }).set(auth).expect(422);
      expect(bad.body.errors[0]).toMatchObject({ field: 'status', code: 'OUTBOX.STATUS_INVALID' });
      const notDead = await request(t.server).post(`/api/v1/admin/outbox/${ids[0]}/requeue`).set(auth).expect(409);
      expect(notDead.body.code).toBe('OUTBOX.EVENT_NOT_REQUEUEABLE');
      await request(t.server).post('/api/v1/admin/outbox/999999/requeue').set(auth).expect(404);
    });
  });
});

describe('outbox admin routes without ADMIN_API_TOKEN', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('sqlite', { env: { ADMIN_API_TOKEN: '' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('do not exist (404), whatever the header', async () => {
    await request(t.server).get('/api/v1/admin/outbox').expect(404);
    await request(t.server).get('/api/v1/admin/outbox').set('Authorization', 'Bearer anything-at-all-123').expect(404);
  });
});

describe.each(DATABASE_KINDS)('outbox start-up on %s', (kind) => {
  it('refuses to start while the table holds events of a type no handler here processes', async () => {
    const database = await createTestDatabase(kind);
    const dataSource = new DataSource({
      ...buildDataSourceOptions({ url: database.url, migrations: MIGRATIONS, migrationsRun: true }),
      entities: [OutboxEvent],
    });
    await dataSource.initialize();
    await dataSource.getRepository(OutboxEvent).insert({
      type: 'FROM_A_NEWER_RELEASE',
      aggregateType: 'test',
      aggregateId: '1',
      payload: '{}',
      status: OutboxStatus.PENDING,
      attempts: 0,
      nextAttemptAt: new Date(),
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    await dataSource.destroy();
    try {
      await expect(startTestApp(kind, { databaseUrl: database.url })).rejects.toThrow(
        /events of types no handler here can process: FROM_A_NEWER_RELEASE/,
      );
    } finally {
      await database.drop();
    }
  });
});
