import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, JetStreamManager, NatsConnection } from 'nats';
import { OutboxEvent, OutboxStatus } from '@app/outbox';
import { ReservationStatus } from '@app/reservations';
import { freePort } from '../support/smtp-server';
import { DATABASE_KINDS } from '../support/test-database';
import { HEAVY_TEST_TIMEOUT_MS, waitForProgress, waitUntil } from '../support/wait-for-progress';
import { startSupplierFixture, SupplierFixture } from '../suppliers/supplier-fixture';
import {
  historyOf,
  natsReadiness,
  OwnNatsServer,
  publishRows,
  readStream,
  repeated,
  reserveAndPay,
  sample,
  scrapeMetrics,
  uniqueNames,
} from './support/nats-support';

const EVENTS_ENV = [
  'EVENTS_NATS_URL',
  'EVENTS_NATS_STREAM',
  'EVENTS_NATS_SUBJECT_PREFIX',
  'EVENTS_NATS_RETRY_MAX_MS',
  'OUTBOX_MAX_ATTEMPTS',
  'OUTBOX_POLL_INTERVAL_MS',
];
const MAX_ATTEMPTS = 3;
const DURING_OUTAGE = 3;
const WAITING = 'lifecycle_event_deliveries_total{sink="nats",outcome="waiting"}';

/**
 * The broker goes away (a nats-server of the test's own, SIGKILLed) while reservations are made
 * and paid: the API works as usual, the events wait in the outbox without spending attempts, and
 * when the broker is back every one goes out, in order per reservation, none twice.
 */
describe.each(DATABASE_KINDS)('lifecycle events while the NATS broker is away, on %s', (kind) => {
  const { stream, prefix } = uniqueNames(`outage_${kind}`);
  let broker: OwnNatsServer;
  let storeDir: string;
  let f: SupplierFixture;
  let nc: NatsConnection | undefined;

  beforeAll(async () => {
    storeDir = mkdtempSync(join(tmpdir(), 'nats-outage-'));
    broker = new OwnNatsServer(await freePort(), storeDir);
    await broker.start();
    f = await startSupplierFixture(kind, {
      EVENTS_NATS_URL: broker.url,
      EVENTS_NATS_STREAM: stream,
      EVENTS_NATS_SUBJECT_PREFIX: prefix,
      // While the broker is away an event is tried again at most every 0.5 s: the test is quick.
      EVENTS_NATS_RETRY_MAX_MS: '500',
      // Were the waits counted as attempts, the events would be DEAD after a few of them.
      OUTBOX_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      OUTBOX_POLL_INTERVAL_MS: '100',
    });
  });
  afterAll(async () => {
    await f?.close();
    await nc?.close();
    await broker?.kill();
    EVENTS_ENV.forEach((name) => delete process.env[name]);
    if (storeDir) rmSync(storeDir, { recursive: true, force: true });
  });

  const allPublished = async (codes: string[]) => {
    await waitForProgress({
      what: 'the lifecycle events of every reservation',
      progress: async () => {
        const rows = await publishRows(f);
        const statuses = await Promise.all(codes.map(async (code) => (await f.reservation(code)).status));
        return {
          confirmed: statuses.filter((status) => status === ReservationStatus.SUPPLIER_CONFIRMED).length,
          rows: rows.length,
          done: rows.filter((row) => row.status === OutboxStatus.DONE).length,
        };
      },
      done: (p) => p.confirmed === codes.length && p.done === p.rows,
    });
  };

  it(
    'while it is away: 202s and 200s as usual, the events wait (PENDING, attempts 0, never DEAD); back: all out, in order, once',
    async () => {
      // The broker is there: a first reservation's events go out and the stream is made.
      const { code: early } = await reserveAndPay(f);
      await allPublished([early]);
      expect((await natsReadiness(f.base)).broker).toBe('connected');

      await broker.kill('SIGKILL');
      await waitUntil(async () => (await natsReadiness(f.base)).broker === 'away');

      // Customers reserve and pay as usual (reserveAndPay expects the 202 and every webhook's 200),
      // and the rest of the flow goes on: each is booked with its supplier.
      const codes: string[] = [];
      for (let i = 0; i < DURING_OUTAGE; i++) codes.push((await reserveAndPay(f)).code);
      await waitForProgress({
        what: 'the supplier confirmations during the outage',
        progress: async () =>
          (await Promise.all(codes.map(async (code) => (await f.reservation(code)).status))).join(),
        done: (statuses) =>
          statuses.split(',').every((status) => status === ReservationStatus.SUPPLIER_CONFIRMED),
      });

      // Each reservation's first event is tried again and again (the wait is capped at 0.5 s), far
      // beyond OUTBOX_MAX_ATTEMPTS; the later ones wait behind it.
      const waitingBefore = sample(await scrapeMetrics(f.base), WAITING) ?? 0;
      await waitForProgress({
        what: 'the tries while the broker is away',
        progress: async () => sample(await scrapeMetrics(f.base), WAITING) ?? 0,
        done: (waiting) => waiting >= waitingBefore + DURING_OUTAGE * (MAX_ATTEMPTS + 3),
      });

      const waiting: OutboxEvent[] = [];
      for (const code of codes) {
        const rows = await publishRows(f, code);
        expect(rows.length).toBe((await historyOf(f, code)).length);
        for (const row of rows) {
          // PROCESSING for the instant of a try, with that try counted until it is given back.
          expect([OutboxStatus.PENDING, OutboxStatus.PROCESSING]).toContain(row.status);
          expect(row.attempts).toBe(row.status === OutboxStatus.PENDING ? 0 : 1);
        }
        waiting.push(...rows);
      }
      // Every reservation's first event has been tried, and says why it waits.
      await waitUntil(async () => {
        for (const code of codes)
          if (!(await publishRows(f, code))[0].lastError?.includes('NATS')) return false;
        return true;
      });
      expect(await f.t.dataSource.getRepository(OutboxEvent).countBy({ status: OutboxStatus.DEAD })).toBe(0);

      const away = await natsReadiness(f.base);
      expect(away).toMatchObject({ broker: 'away', unpublished: waiting.length, dead: 0 });
      expect(away.oldest_unpublished_age_seconds).toBeGreaterThanOrEqual(0);
      const metrics = await scrapeMetrics(f.base);
      expect(sample(metrics, 'lifecycle_events_unpublished{sink="nats"}')).toBe(waiting.length);
      expect(sample(metrics, 'lifecycle_events_dead{sink="nats"}')).toBe(0);

      // The same broker (port, store) comes back: everything goes out.
      await broker.start();
      await allPublished([early, ...codes]);
      await waitUntil(async () => (await natsReadiness(f.base)).broker === 'connected');
      expect(await natsReadiness(f.base)).toEqual({
        broker: 'connected',
        unpublished: 0,
        dead: 0,
        oldest_unpublished_age_seconds: 0,
      });
      expect(await f.t.dataSource.getRepository(OutboxEvent).countBy({ status: OutboxStatus.DEAD })).toBe(0);

      nc = await connect({ servers: broker.url, name: 'nats-outage-spec' });
      const jsm: JetStreamManager = await nc.jetstreamManager();
      const messages = await readStream(jsm, stream);
      expect(repeated(messages.map((message) => message.event.id))).toEqual([]);
      for (const code of [early, ...codes]) {
        const history = await historyOf(f, code);
        // In order, each once: the stream holds the history, change for change.
        expect(
          messages.filter((message) => message.event.subject === code).map((message) => message.event.id),
        ).toEqual(history.map((row) => `evt_${code}_${row.id}`));
        for (const message of messages.filter((candidate) => candidate.event.subject === code)) {
          expect(message.msgId).toBe(message.event.id);
          expect(message.subject).toBe(`${prefix}.${message.event.data.status.toLowerCase()}`);
        }
      }
      expect(messages.length).toBe((await publishRows(f)).length);
    },
    HEAVY_TEST_TIMEOUT_MS,
  );
});
