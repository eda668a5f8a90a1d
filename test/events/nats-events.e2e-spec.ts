import { connect, JetStreamManager, nanos, NatsConnection, StreamInfo } from 'nats';
import { retryLostRaces } from '@app/core';
import { OutboxEvent, OutboxStatus } from '@app/outbox';
import { JetStreamLink } from '@app/lifecycle-events';
import { ReservationStatus } from '@app/reservations';
import { aCreateBody } from '../support/builders';
import { startTestApp, TestApp } from '../support/test-app';
import { DATABASE_KINDS } from '../support/test-database';
import { waitForProgress } from '../support/wait-for-progress';
import { startSupplierFixture, SupplierFixture } from '../suppliers/supplier-fixture';
import {
  CLOUD_EVENT_KEYS,
  countsOf,
  deleteStream,
  historyOf,
  natsReadiness,
  PUBLISH_LIFECYCLE_EVENT,
  publishRows,
  readStream,
  repeated,
  reserveAndPay,
  sample,
  scrapeMetrics,
  SHARED_NATS_URL,
  StreamMessage,
  streamInfoOrNone,
  uniqueNames,
} from './support/nats-support';

const EVENTS_ENV = [
  'EVENTS_NATS_URL',
  'EVENTS_NATS_STREAM',
  'EVENTS_NATS_SUBJECT_PREFIX',
  'EVENTS_SOURCE',
  'EVENTS_NATS_RETRY_MAX_MS',
  'OUTBOX_LEASE_MS',
  'OUTBOX_BACKOFF_MAX_MS',
];
const forgetEventsEnv = () => EVENTS_ENV.forEach((name) => delete process.env[name]);

const SOURCE = 'urn:test:reservations-api';
// The figures the duplicate window must cover: the lease, and the largest of the two backoffs.
const LEASE_MS = 20_000;
const BACKOFF_MAX_MS = 45_000;
const RETRY_MAX_MS = 7_000;

/** What a reservation shows in each status of a paid, supplier-confirmed lifecycle (SPEC §2). */
const PROGRESS: Partial<Record<ReservationStatus, { code: string; payment: string; supplier: string }>> = {
  [ReservationStatus.CREATED]: { code: 'issued', payment: 'pending', supplier: 'pending' },
  [ReservationStatus.PAYMENT_IN_PROGRESS]: { code: 'issued', payment: 'pending', supplier: 'pending' },
  [ReservationStatus.PAID]: { code: 'issued', payment: 'succeeded', supplier: 'pending' },
  [ReservationStatus.SUPPLIER_CONFIRMED]: { code: 'issued', payment: 'succeeded', supplier: 'confirmed' },
};
const PAID_LIFECYCLE = [
  ReservationStatus.CREATED,
  ReservationStatus.PAYMENT_IN_PROGRESS,
  ReservationStatus.PAID,
  ReservationStatus.SUPPLIER_CONFIRMED,
];

/**
 * Every change of a reservation's status goes out to NATS JetStream as a CloudEvent (docs/events.md):
 * through the real product (HTTP, Stripe sandbox webhooks, supplier simulators), on both databases,
 * to the shared broker on 127.0.0.1:4222; each describe has a stream and subjects of its own.
 */
describe.each(DATABASE_KINDS)('lifecycle events to NATS JetStream on %s', (kind) => {
  describe('with EVENTS_NATS_URL set', () => {
    const { stream, prefix } = uniqueNames(`events_${kind}`);
    let f: SupplierFixture;
    let nc: NatsConnection;
    let jsm: JetStreamManager;
    let before: StreamInfo | undefined;

    beforeAll(async () => {
      // A broker that is down fails the suite here: no skip.
      nc = await connect({ servers: SHARED_NATS_URL, name: 'nats-events-spec' });
      jsm = await nc.jetstreamManager();
      before = await streamInfoOrNone(jsm, stream);
      f = await startSupplierFixture(kind, {
        EVENTS_NATS_URL: SHARED_NATS_URL,
        EVENTS_NATS_STREAM: stream,
        EVENTS_NATS_SUBJECT_PREFIX: prefix,
        EVENTS_SOURCE: SOURCE,
        EVENTS_NATS_RETRY_MAX_MS: String(RETRY_MAX_MS),
        OUTBOX_LEASE_MS: String(LEASE_MS),
        OUTBOX_BACKOFF_MAX_MS: String(BACKOFF_MAX_MS),
      });
    });
    afterAll(async () => {
      await f?.close();
      forgetEventsEnv();
      await deleteStream(jsm, stream);
      await nc?.close();
    });

    /** The messages of one reservation, in stream order. */
    const messagesOf = async (code: string) =>
      (await readStream(jsm, stream)).filter((message) => message.event.subject === code);

    /** Until the reservation is supplier-confirmed and every change of it is DONE in the outbox and in the stream. */
    const published = async (code: string): Promise<StreamMessage[]> => {
      await waitForProgress({
        what: `the lifecycle events of ${code}`,
        progress: async () => ({
          status: (await f.reservation(code)).status,
          changes: (await historyOf(f, code)).length,
          done: (await publishRows(f, code)).filter((row) => row.status === OutboxStatus.DONE).length,
          messages: (await messagesOf(code)).length,
        }),
        done: (p) =>
          p.status === ReservationStatus.SUPPLIER_CONFIRMED &&
          p.done === p.changes &&
          p.messages === p.changes,
      });
      return messagesOf(code);
    };

    it('creates the stream when it is missing, taking <prefix>.>, with a duplicate window over the lease and the largest backoff', async () => {
      expect(before).toBeUndefined();
      const { code } = await reserveAndPay(f);
      await published(code);

      const info = await jsm.streams.info(stream);
      expect(info.config.subjects).toEqual([`${prefix}.>`]);
      expect(info.config.duplicate_window).toBeGreaterThanOrEqual(
        nanos(LEASE_MS + Math.max(BACKOFF_MAX_MS, RETRY_MAX_MS)),
      );
    });

    it("publishes a paid reservation's lifecycle in order, each change a CloudEvent on <prefix>.<status>, with no personal data", async () => {
      const { code } = await reserveAndPay(f);
      const messages = await published(code);
      const reservation = await f.reservation(code);
      const history = await historyOf(f, code);
      expect(history.map((row) => row.toStatus)).toEqual(PAID_LIFECYCLE);
      expect(reservation.supplierConfirmation).toEqual(expect.any(String));

      // In order: the stream holds the history, change for change.
      expect(messages.map((message) => message.event.id)).toEqual(
        history.map((row) => `evt_${code}_${row.id}`),
      );
      const customer = aCreateBody().customer;
      for (const [index, message] of messages.entries()) {
        const change = history[index];
        const lower = change.toStatus.toLowerCase();
        expect(message.subject).toBe(`${prefix}.${lower}`);
        expect(message.msgId).toBe(message.event.id);
        expect(message.contentType).toMatch(/^application\/cloudevents\+json/);
        expect(Object.keys(message.event).sort()).toEqual(CLOUD_EVENT_KEYS);
        expect(message.event).toEqual({
          specversion: '1.0',
          id: `evt_${code}_${change.id}`,
          source: SOURCE,
          type: `reservation.${lower}`,
          subject: code,
          time: change.createdAt.toISOString(),
          datacontenttype: 'application/json',
          data: {
            reservation_code: code,
            status: change.toStatus,
            previous_status: change.fromStatus,
            progress: PROGRESS[change.toStatus],
            supplier_code: 'HERTZ',
            pickup_office_code: 'MAD-T4',
            dropoff_office_code: 'BCN-T1',
            car_category: 'CDMR',
            pickup_at: reservation.pickupAt.toISOString(),
            dropoff_at: reservation.dropoffAt.toISOString(),
            amount: 18950,
            currency: 'EUR',
            // What the reservation was at the change: the supplier's reference from its confirmation on.
            supplier_confirmation:
              change.toStatus === ReservationStatus.SUPPLIER_CONFIRMED
                ? reservation.supplierConfirmation
                : null,
          },
        });
        // No personal data: not the customer's name, e-mail or phone, anywhere in the message.
        for (const personal of [customer.first_name, customer.last_name, customer.email, customer.phone])
          expect(message.body).not.toContain(personal);
      }
      expect(history[0].fromStatus).toBeNull();

      const readiness = await natsReadiness(f.base);
      expect(readiness).toMatchObject({ broker: 'connected', dead: 0 });
      const metrics = await scrapeMetrics(f.base);
      expect(
        sample(metrics, 'lifecycle_event_deliveries_total{sink="nats",outcome="published"}'),
      ).toBeGreaterThanOrEqual(messages.length);
      expect(sample(metrics, 'lifecycle_events_dead{sink="nats"}')).toBe(0);
    });

    it('adds no status change and no message when Stripe delivers the same webhooks again, and a republished event is stored once', async () => {
      const { code, intentId } = await reserveAndPay(f);
      const first = await published(code);
      const changes = (await historyOf(f, code)).length;
      const rows = (await publishRows(f, code)).length;
      expect(rows).toBe(changes);

      // Stripe redelivers every event of the payment, three times over.
      const stripeEvents = f.sandbox
        .events()
        .filter((event) => (event.data.object as { id: string }).id === intentId);
      expect(stripeEvents.length).toBeGreaterThan(0);
      for (let round = 0; round < 3; round++)
        for (const event of stripeEvents) await f.postEvent(JSON.stringify(event)).expect(200);
      await f.settle();
      expect((await historyOf(f, code)).length).toBe(changes);
      expect((await publishRows(f, code)).length).toBe(rows);
      expect((await messagesOf(code)).map((message) => message.event.id)).toEqual(
        first.map((message) => message.event.id),
      );

      // A drainer that published and died before it recorded DONE: the events run again, and
      // JetStream keeps each once (Nats-Msg-Id, within the duplicate window).
      const duplicatesBefore =
        sample(
          await scrapeMetrics(f.base),
          'lifecycle_event_deliveries_total{sink="nats",outcome="duplicate"}',
        ) ?? 0;
      await retryLostRaces.execute(() =>
        f.t.dataSource
          .getRepository(OutboxEvent)
          .update(
            { type: PUBLISH_LIFECYCLE_EVENT, aggregateId: code },
            { status: OutboxStatus.PENDING, nextAttemptAt: new Date(), processedAt: null },
          ),
      );
      await waitForProgress({
        what: `the republished events of ${code}`,
        progress: async () =>
          (await publishRows(f, code)).filter((row) => row.status === OutboxStatus.DONE).length,
        done: (done) => done === rows,
        tick: () => f.drainNow(),
      });
      expect(
        sample(
          await scrapeMetrics(f.base),
          'lifecycle_event_deliveries_total{sink="nats",outcome="duplicate"}',
        ),
      ).toBe(duplicatesBefore + rows);

      const all = await readStream(jsm, stream);
      expect(repeated(all.map((message) => message.event.id))).toEqual([]);
      expect(repeated(all.map((message) => message.msgId ?? 'none'))).toEqual([]);
      expect(
        all.filter((message) => message.event.subject === code).map((message) => message.event.id),
      ).toEqual(first.map((message) => message.event.id));
      // Every event the outbox holds is in the stream exactly once, and nothing else is.
      const queued = await publishRows(f);
      const ids = countsOf(all.map((message) => message.event.id));
      expect(queued.map((row) => ids.get((JSON.parse(row.payload) as { id: string }).id))).toEqual(
        queued.map(() => 1),
      );
      expect(all.length).toBe(queued.length);
    });
  });

  describe('with EVENTS_NATS_URL unset', () => {
    let f: SupplierFixture;

    beforeAll(async () => {
      forgetEventsEnv();
      f = await startSupplierFixture(kind);
    });
    afterAll(async () => {
      await f?.close();
    });

    it('queues no PUBLISH_LIFECYCLE_EVENT for any change, and readiness says the sink is off', async () => {
      const { code } = await reserveAndPay(f);
      await waitForProgress({
        what: `the supplier confirmation of ${code}`,
        progress: async () => (await f.reservation(code)).status,
        done: (status) => status === ReservationStatus.SUPPLIER_CONFIRMED,
      });
      await f.settle();
      // The changes happened; none was queued for NATS.
      expect((await historyOf(f, code)).map((row) => row.toStatus)).toEqual(PAID_LIFECYCLE);
      expect(await f.t.dataSource.getRepository(OutboxEvent).countBy({ type: PUBLISH_LIFECYCLE_EVENT })).toBe(
        0,
      );
      expect(await f.t.dataSource.getRepository(OutboxEvent).countBy({ aggregateId: code })).toBeGreaterThan(
        0,
      );
      expect(await natsReadiness(f.base)).toEqual({
        broker: 'off',
        unpublished: 0,
        dead: 0,
        oldest_unpublished_age_seconds: 0,
      });
    });
  });
});

describe('lifecycle events in a process that does not drain the outbox', () => {
  let t: TestApp;
  beforeAll(async () => {
    forgetEventsEnv();
    // Serves HTTP only (OUTBOX_ENABLED=false): it queues events, others publish them.
    t = await startTestApp('sqlite', { env: { EVENTS_NATS_URL: SHARED_NATS_URL, OUTBOX_ENABLED: 'false' } });
    await t.app.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await t.close();
    forgetEventsEnv();
    delete process.env.OUTBOX_ENABLED;
  });

  it('never connects to NATS, and readiness says it does not publish', async () => {
    const base = `http://127.0.0.1:${(t.server.address() as { port: number }).port}`;
    expect((await natsReadiness(base)).broker).toBe('not_publishing');
    expect(t.app.get(JetStreamLink).state()).toBe('not_publishing');
  });
});
