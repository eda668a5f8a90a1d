import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { connect, JetStreamManager, nanos, NatsConnection, RetentionPolicy, StorageType } from 'nats';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@app/core';
import type { LifecycleChange } from '@app/lifecycle-events';
import { aLifecycleChange } from '@app/lifecycle-events/testing';
import { ReservationStatus } from '@app/reservations';
import { MIGRATIONS } from '../../migrations';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { HEAVY_TEST_TIMEOUT_MS, waitForProcess, waitForProgress } from '../support/wait-for-progress';
import { TcpProxy } from '../support/tcp-proxy';
import {
  countsOf,
  deleteStream,
  PUBLISH_LIFECYCLE_EVENT,
  readStream,
  repeated,
  SHARED_NATS_URL,
  uniqueNames,
} from './support/nats-support';

const ROOT = join(__dirname, '..', '..');
const RESERVATIONS = 200;
const S = ReservationStatus;
/** Five changes per reservation, each enqueued after the one before it. */
const LIFECYCLE = [S.CREATED, S.PAYMENT_IN_PROGRESS, S.PAYMENT_FAILED, S.PAID, S.SUPPLIER_CONFIRMED];
const EVENTS = RESERVATIONS * LIFECYCLE.length;
/** Each way, between the drainers and the broker: a drain then outlasts several restarts of a drainer. */
const NATS_DELAY_MS = 30;
const DRAINERS = 3;
const LEASE_MS = 2000;
const BACKOFF_MAX_MS = 2000;
/** EVENTS_NATS_RETRY_MAX_MS's default: the drainers leave it unset. */
const RETRY_MAX_MS = 10_000;

interface Drainer {
  child: ChildProcess;
  output: () => string;
  ready: Promise<void>;
  isReady: () => boolean;
}

/**
 * Order per reservation and exactly-once in the stream under chaos: three drainers in separate
 * OS processes (the real outbox engine and PublishLifecycleEventHandler, test/events/nats-drainer.ts)
 * drain 1,000 lifecycle events of 200 reservations on one MySQL database while one of them — one
 * holding leases whenever one does — is SIGKILLed after every batch and a new one started.
 */
describe('lifecycle events drained by separate processes under SIGKILL, on MySQL', () => {
  const { stream, prefix } = uniqueNames('chaos');
  let database: TestDatabase;
  let dataSource: DataSource;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const children = new Set<ChildProcess>();
  let ended = false;
  const proxy = new TcpProxy('127.0.0.1', 4222, NATS_DELAY_MS);

  beforeAll(async () => {
    nc = await connect({ servers: SHARED_NATS_URL, name: 'nats-chaos-spec' });
    jsm = await nc.jetstreamManager();
    await proxy.start();
    database = await createTestDatabase('mysql');
    dataSource = new DataSource(
      buildDataSourceOptions({ url: database.url, migrations: MIGRATIONS, migrationsRun: true }),
    );
    await dataSource.initialize();
  });
  afterAll(async () => {
    ended = true;
    await Promise.all([...children].map((child) => kill(child)));
    await dataSource?.destroy();
    await database?.drop();
    await proxy.cut();
    await deleteStream(jsm, stream);
    await nc?.close();
  });

  const kill = (child: ChildProcess): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    return exited;
  };

  const launch = (): Drainer => {
    const child = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        'tsconfig-paths/register',
        join(ROOT, 'test', 'events', 'nats-drainer.ts'),
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          NODE_ENV: 'test',
          LOG_LEVEL: 'error',
          DATABASE_URL: database.url,
          DATABASE_MIGRATE_ON_START: 'false',
          DATABASE_SEED_ON_START: 'false',
          EVENTS_NATS_URL: `nats://127.0.0.1:${proxy.port}`,
          EVENTS_NATS_STREAM: stream,
          EVENTS_NATS_SUBJECT_PREFIX: prefix,
          // A killed drainer's leases come back after 2 s.
          OUTBOX_LEASE_MS: String(LEASE_MS),
          OUTBOX_BATCH_SIZE: '10',
          OUTBOX_CONCURRENCY: '1',
          OUTBOX_POLL_INTERVAL_MS: '50',
          OUTBOX_BACKOFF_BASE_MS: '250',
          OUTBOX_BACKOFF_MAX_MS: String(BACKOFF_MAX_MS),
          // A reclaimed event counts an attempt per kill: never DEAD here.
          OUTBOX_MAX_ATTEMPTS: '100',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.add(child);
    child.once('exit', () => children.delete(child));
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + String(chunk)).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const ready = waitForProcess(child, {
      what: `drainer ${child.pid}`,
      ready: () => output.includes('ready'),
      output: () => output,
    });
    let isReady = false;
    ready.then(() => (isReady = true)).catch(() => undefined);
    return { child, output: () => output, ready, isReady: () => isReady };
  };

  /** The synthetic changes, as RecordLifecycleChange queues them: round by round, each round's reservations shuffled. */
  const plan = (): { code: string; change: LifecycleChange }[] => {
    const run = randomBytes(3).toString('hex').toUpperCase();
    const codes = Array.from({ length: RESERVATIONS }, (_, i) => `C${run}${String(i).padStart(3, '0')}`);
    let historyId = 0;
    const planned: { code: string; change: LifecycleChange }[] = [];
    for (const [round, status] of LIFECYCLE.entries()) {
      const shuffled = [...codes].sort(() => Math.random() - 0.5);
      const changes = shuffled.map((code) => ({
        code,
        change: aLifecycleChange({
          id: `evt_${code}_${++historyId}`,
          reservationCode: code,
          status,
          previousStatus: round === 0 ? null : LIFECYCLE[round - 1],
          occurredAt: new Date().toISOString(),
          progress: {
            code: 'issued',
            payment: status === S.PAID || status === S.SUPPLIER_CONFIRMED ? 'succeeded' : 'pending',
            supplier: 'pending',
          },
          supplierConfirmation: status === S.SUPPLIER_CONFIRMED ? `HZ-${code}` : null,
        }),
      }));
      planned.push(...changes);
    }
    return planned;
  };

  const insert = async (batch: { code: string; change: LifecycleChange }[]) => {
    const now = new Date();
    await dataSource.query(
      `INSERT INTO outbox_events (type, lane, aggregate_type, aggregate_id, payload, status, attempts, next_attempt_at, created_at, updated_at)
       VALUES ${batch.map(() => "(?, 'events', 'reservation', ?, ?, 'PENDING', 0, ?, ?, ?)").join(',')}`,
      batch.flatMap(({ code, change }) => [
        PUBLISH_LIFECYCLE_EVENT,
        code,
        JSON.stringify(change),
        now,
        now,
        now,
      ]),
    );
  };

  const statusCounts = async (): Promise<Record<string, number>> => {
    const rows: { status: string; n: string }[] = await dataSource.query(
      'SELECT status, COUNT(*) AS n FROM outbox_events GROUP BY status',
    );
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
  };

  /** The drainers (by pid) that hold leases now: PROCESSING rows, owner `host:pid:hex#claim`. */
  const leaseHolders = async (): Promise<Map<number, number>> => {
    const rows: { lease_owner: string }[] = await dataSource.query(
      "SELECT lease_owner FROM outbox_events WHERE status = 'PROCESSING'",
    );
    const holders = new Map<number, number>();
    for (const { lease_owner } of rows) {
      const pid = Number(/:(\d+):[0-9a-f]+#\d+$/.exec(lease_owner)?.[1]);
      holders.set(pid, (holders.get(pid) ?? 0) + 1);
    }
    return holders;
  };

  it(
    'every event DONE, each id once in the stream (Nats-Msg-Id across killed drainers), in enqueue order per reservation',
    async () => {
      // The stream is there already, with a duplicate window shorter than a lease: the drainers
      // must widen it, or a republished event of a killed drainer would be stored twice.
      await jsm.streams.add({
        name: stream,
        subjects: [`${prefix}.>`],
        duplicate_window: nanos(1000),
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
      });

      const live = Array.from({ length: DRAINERS }, () => launch());
      await Promise.all(live.map((drainer) => drainer.ready));
      // Every change of every reservation queued at once, in order per reservation, the
      // reservations interleaved: the ordered lane alone keeps each reservation's order.
      const changes = plan();
      for (let start = 0; start < changes.length; start += 200)
        await insert(changes.slice(start, start + 200));

      let kills = 0;
      let killsHoldingLeases = 0;
      await waitForProgress({
        what: 'the outbox',
        progress: statusCounts,
        done: (counts) => counts.DONE === EVENTS,
        stallMs: 60_000,
        pollMs: 50,
        alive: () => !ended,
        tick: async () => {
          // Never faster than the drainers start: a kill waits for every one of them to be draining.
          if (!live.every((drainer) => drainer.isReady())) return;
          const holders = await leaseHolders();
          const holding = live.filter((drainer) => holders.has(drainer.child.pid!));
          if (holding.length === 0) return;
          const victim = holding[Math.floor(Math.random() * holding.length)];
          const { pid } = victim.child;
          await kill(victim.child);
          kills++;
          // The dead drainer's leases stay until they expire: its events, and the later ones of their reservations, wait.
          if ((await leaseHolders()).has(pid!)) killsHoldingLeases++;
          live[live.indexOf(victim)] = launch();
        },
      });
      expect(await statusCounts()).toEqual({ DONE: EVENTS });
      expect(kills).toBeGreaterThanOrEqual(2);
      // The chaos happened: drainers died holding leases, and their events were claimed again.
      expect(killsHoldingLeases).toBeGreaterThan(0);
      const [{ reclaimed }] = await dataSource.query(
        'SELECT COUNT(*) AS reclaimed FROM outbox_events WHERE attempts > 1',
      );
      expect(Number(reclaimed)).toBeGreaterThan(0);

      // The enqueue order: by id, per reservation.
      const rows: { id: number; aggregate_id: string; payload: string }[] = await dataSource.query(
        'SELECT id, aggregate_id, payload FROM outbox_events ORDER BY id',
      );
      const enqueued = new Map<string, string[]>();
      for (const row of rows)
        enqueued.set(row.aggregate_id, [
          ...(enqueued.get(row.aggregate_id) ?? []),
          (JSON.parse(row.payload) as LifecycleChange).id,
        ]);

      const messages = await readStream(jsm, stream);
      expect(repeated(messages.map((message) => message.event.id))).toEqual([]);
      expect(repeated(messages.map((message) => message.msgId ?? 'none'))).toEqual([]);
      expect(messages.length).toBe(EVENTS);
      const ids = countsOf(messages.map((message) => message.event.id));
      expect(rows.filter((row) => ids.get((JSON.parse(row.payload) as LifecycleChange).id) !== 1)).toEqual(
        [],
      );
      const streamed = new Map<string, string[]>();
      for (const message of messages) {
        expect(message.msgId).toBe(message.event.id);
        expect(message.subject).toBe(`${prefix}.${message.event.data.status.toLowerCase()}`);
        streamed.set(message.event.subject, [
          ...(streamed.get(message.event.subject) ?? []),
          message.event.id,
        ]);
      }
      expect(enqueued.size).toBe(RESERVATIONS);
      const outOfOrder = [...enqueued]
        .filter(([code, order]) => JSON.stringify(streamed.get(code)) !== JSON.stringify(order))
        .map(([code, order]) => ({ code, enqueued: order, streamed: streamed.get(code) }));
      expect(outOfOrder).toEqual([]);

      // The drainers widened the window over a lease and the largest backoff.
      const info = await jsm.streams.info(stream);
      expect(info.config.duplicate_window).toBeGreaterThanOrEqual(
        nanos(LEASE_MS + Math.max(BACKOFF_MAX_MS, RETRY_MAX_MS)),
      );
    },
    HEAVY_TEST_TIMEOUT_MS,
  );
});
