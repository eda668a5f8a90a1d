import { ChildProcess } from 'node:child_process';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@app/core';
import { MIGRATIONS } from '../../migrations';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { HEAVY_TEST_TIMEOUT_MS, waitForProgress } from '../support/wait-for-progress';
import { startWorker, stopWorker } from './workers';

interface Run {
  event_id: number;
  worker: number;
  lease_owner: string;
  lease_expires_at: Date;
  started_at: Date;
  finished_at: Date | null;
}

const EVENTS = 10_000;

/** The outbox under real concurrency: drainers in separate OS processes on one MySQL database. */
describe('outbox drained by separate processes on MySQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  const workers = new Set<ChildProcess>();
  // Jest does not stop a test body it timed out: waits of an ended test throw instead of
  // killing and launching workers into the next test.
  let testRun = 0;

  beforeAll(async () => {
    database = await createTestDatabase('mysql');
    dataSource = new DataSource(buildDataSourceOptions({ url: database.url, migrations: MIGRATIONS, migrationsRun: true }));
    await dataSource.initialize();
    await dataSource.query(
      `CREATE TABLE outbox_test_runs (id INT AUTO_INCREMENT PRIMARY KEY, event_id INT NOT NULL, worker INT NOT NULL,
        lease_owner VARCHAR(100) NOT NULL, lease_expires_at DATETIME(3) NOT NULL, started_at DATETIME(3) NOT NULL,
        finished_at DATETIME(3) NULL, INDEX (event_id))`,
    );
  });
  afterEach(async () => {
    testRun++;
    await Promise.all([...workers].map((child) => stopWorker(child, 'SIGKILL')));
    workers.clear();
    await dataSource.query('DELETE FROM outbox_events');
    await dataSource.query('DELETE FROM outbox_test_runs');
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  const launch = (env: Record<string, string>) => {
    const worker = startWorker({ DATABASE_URL: database.url, ...env });
    workers.add(worker.child);
    worker.child.on('exit', () => workers.delete(worker.child));
    let ready = false;
    worker.ready.then(() => (ready = true)).catch(() => undefined);
    return { ...worker, isReady: () => ready };
  };

  const insertEvents = async (count: number, payload: object) => {
    const now = new Date();
    for (let start = 0; start < count; start += 1000) {
      const rows = Array.from({ length: Math.min(1000, count - start) }, () => "('TEST_RUN', 'test', 'x', ?, 'PENDING', 0, ?, ?, ?)");
      const params = rows.flatMap(() => [JSON.stringify(payload), now, now, now]);
      await dataSource.query(
        `INSERT INTO outbox_events (type, aggregate_type, aggregate_id, payload, status, attempts, next_attempt_at, created_at, updated_at) VALUES ${rows.join(',')}`,
        params,
      );
    }
  };

  const statusCounts = async () => {
    const rows: { status: string; n: string }[] = await dataSource.query('SELECT status, COUNT(*) AS n FROM outbox_events GROUP BY status');
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
  };

  /** Until every event is DONE; fails only if no event changed status for 60 s. */
  const waitUntilAllDone = async (tick?: () => Promise<void>) => {
    const run = testRun;
    await waitForProgress({
      progress: statusCounts,
      done: (counts) => counts.DONE === EVENTS,
      stallMs: 60_000,
      tick,
      alive: () => testRun === run,
    });
  };

  /** No two runs of one event overlap, and a repeat starts only once the earlier lease expired. */
  const checkRuns = (runs: Run[]) => {
    const byEvent = new Map<number, Run[]>();
    for (const run of runs) byEvent.set(run.event_id, [...(byEvent.get(run.event_id) ?? []), run]);
    const violations: string[] = [];
    for (const [eventId, eventRuns] of byEvent) {
      eventRuns.sort((a, b) => a.started_at.getTime() - b.started_at.getTime());
      for (let i = 1; i < eventRuns.length; i++) {
        const [previous, next] = [eventRuns[i - 1], eventRuns[i]];
        if (previous.finished_at && next.started_at < previous.finished_at) violations.push(`event ${eventId}: runs overlap`);
        if (next.started_at < previous.lease_expires_at) violations.push(`event ${eventId}: repeated before its lease expired`);
      }
    }
    expect(violations).toEqual([]);
    expect(byEvent.size).toBe(EVENTS);
  };

  it('3 processes drain 10,000 events: every event DONE, no overlapping runs, repeats only after a lease expired', async () => {
    const env = { OUTBOX_LEASE_MS: '10000', OUTBOX_BATCH_SIZE: '100', OUTBOX_POLL_INTERVAL_MS: '50', OUTBOX_CONCURRENCY: '16' };
    await Promise.all([launch(env), launch(env), launch(env)].map((worker) => worker.ready));
    await insertEvents(EVENTS, {});
    await waitUntilAllDone();

    const runs: Run[] = await dataSource.query('SELECT * FROM outbox_test_runs');
    checkRuns(runs);
    expect(await statusCounts()).toEqual({ DONE: EVENTS });
    expect(new Set(runs.map((run) => run.worker)).size).toBe(3);
  }, HEAVY_TEST_TIMEOUT_MS);

  it('with one process SIGKILLed about every 2 s and restarted: 0 events lost, repeats bounded by the kills', async () => {
    const batchSize = 50;
    const env = { OUTBOX_LEASE_MS: '3000', OUTBOX_BATCH_SIZE: String(batchSize), OUTBOX_POLL_INTERVAL_MS: '50', OUTBOX_CONCURRENCY: '4' };
    const live = [launch(env), launch(env), launch(env)];
    await Promise.all(live.map((worker) => worker.ready));
    await insertEvents(EVENTS, { sleepMs: 10 });

    let kills = 0;
    let lastKill = Date.now();
    const hasWorked = async (worker: (typeof live)[number]) =>
      Number((await dataSource.query('SELECT COUNT(*) AS n FROM outbox_test_runs WHERE worker = ?', [worker.child.pid]))[0].n) > 0;
    await waitUntilAllDone(async () => {
      if (Date.now() - lastKill < 2000) return;
      // The next process in turn dies mid-work and a fresh one replaces it. Only while all three
      // drain, and only one that has started work since it came up: on a loaded machine a start
      // can take longer than the kills' pace, and killing faster than processes start would
      // measure the machine, not the outbox.
      if (!live.every((worker) => worker.isReady())) return;
      const slot = kills % live.length;
      if (!(await hasWorked(live[slot]))) return;
      live[slot].child.kill('SIGKILL');
      kills++;
      lastKill = Date.now();
      live[slot] = launch(env);
    });

    const runs: Run[] = await dataSource.query('SELECT * FROM outbox_test_runs');
    checkRuns(runs);
    expect(await statusCounts()).toEqual({ DONE: EVENTS });
    expect(kills).toBeGreaterThanOrEqual(3);
    // A killed process can only have held the one batch it had claimed.
    expect(runs.length - EVENTS).toBeLessThanOrEqual(kills * batchSize);
  }, HEAVY_TEST_TIMEOUT_MS);

  it('on SIGTERM a process stops claiming, finishes what it started, gives back the rest, then exits', async () => {
    const worker = launch({ OUTBOX_BATCH_SIZE: '20', OUTBOX_CONCURRENCY: '2', OUTBOX_SHUTDOWN_TIMEOUT_MS: '8000', OUTBOX_POLL_INTERVAL_MS: '50' });
    await worker.ready;
    await insertEvents(20, { sleepMs: 1500 });
    const started = async () => Number((await dataSource.query('SELECT COUNT(*) AS n FROM outbox_test_runs'))[0].n);
    // Both handler slots busy: nothing else can start before the signal.
    await waitForProgress({ progress: started, done: (n) => n >= 2, stallMs: 60_000, pollMs: 50 });

    const exited = new Promise<string>((resolve) => worker.child.once('exit', (code, signal) => resolve(`${code}/${signal}`)));
    worker.child.kill('SIGTERM');
    // Nest closes the app, then re-raises the signal: a clean, signalled exit.
    expect(await exited).toBe('null/SIGTERM');

    expect(await started()).toBe(2);
    const finished = Number((await dataSource.query('SELECT COUNT(*) AS n FROM outbox_test_runs WHERE finished_at IS NOT NULL'))[0].n);
    expect(finished).toBe(2);
    expect(await statusCounts()).toEqual({ DONE: 2, PENDING: 18 });
    const [released] = await dataSource.query("SELECT MAX(attempts) AS attempts, COUNT(lease_owner) AS leased FROM outbox_events WHERE status = 'PENDING'");
    expect(Number(released.attempts)).toBe(0);
    expect(Number(released.leased)).toBe(0);
  }, HEAVY_TEST_TIMEOUT_MS);
});
