import { randomBytes } from 'node:crypto';
import { connect, JetStreamManager, NatsConnection } from 'nats';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { shutdownTracing, startTracing } from '@app/core/instrumentation';
import { OutboxEvent, OutboxStatus } from '@app/outbox';
import { SEND_STATUS_WEBHOOK } from '@app/lifecycle-events';
import { ReservationStatus } from '@app/reservations';
import { instrumentCoreHttpForJest } from '../support/jest-http-instrumentation';
import { waitForProgress } from '../support/wait-for-progress';
import { startSupplierFixture, SupplierFixture } from '../suppliers/supplier-fixture';
import {
  CLOUD_EVENT_KEYS,
  deleteStream,
  historyOf,
  publishRows,
  SHARED_NATS_URL,
  uniqueNames,
} from './support/nats-support';
import { rules, WebhookReceiver } from './support/webhook-receiver';

const ENV = [
  'EVENTS_NATS_URL',
  'EVENTS_NATS_STREAM',
  'EVENTS_NATS_SUBJECT_PREFIX',
  'STATUS_WEBHOOK_URL',
  'STATUS_WEBHOOK_SECRET',
  'OUTBOX_BACKOFF_BASE_MS',
  'OUTBOX_BACKOFF_MAX_MS',
  'OUTBOX_POLL_INTERVAL_MS',
];
const forgetEnv = () => ENV.forEach((name) => delete process.env[name]);

/**
 * The lifecycle events' calls in the trace of the change that caused them, in this process with
 * an in-memory exporter (as test/e2e/tracing.e2e-spec.ts): each JetStream publish a PRODUCER
 * span of our own under its PUBLISH_LIFECYCLE_EVENT span, with the trace context in the NATS
 * message's headers (the CloudEvent body untouched), on the shared broker of 127.0.0.1:4222;
 * each status webhook POST an undici CLIENT span under its SEND_STATUS_WEBHOOK span, its
 * `traceparent` sent to the receiver. SQLite: the spans do not depend on the database.
 */
describe('traces of the lifecycle events: the NATS publish and the status webhook (in process)', () => {
  const exporter = new InMemorySpanExporter();
  const { stream, prefix } = uniqueNames('tracing');
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const receiver = new WebhookReceiver(secret);
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let f: SupplierFixture;
  let code: string;
  let unpatchHttp: () => void = () => undefined;

  beforeAll(async () => {
    startTracing({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    unpatchHttp = instrumentCoreHttpForJest();
    // A broker that is down fails the suite here: no skip.
    nc = await connect({ servers: SHARED_NATS_URL, name: 'nats-tracing-spec' });
    jsm = await nc.jetstreamManager();
    await receiver.start();
    // The first delivery of every change fails: its retry must be in the same trace.
    receiver.script(rules.failFirstOfEachId(503));
    forgetEnv();
    f = await startSupplierFixture('sqlite', {
      EVENTS_NATS_URL: SHARED_NATS_URL,
      EVENTS_NATS_STREAM: stream,
      EVENTS_NATS_SUBJECT_PREFIX: prefix,
      STATUS_WEBHOOK_URL: receiver.url,
      STATUS_WEBHOOK_SECRET: secret,
      OUTBOX_BACKOFF_BASE_MS: '50',
      OUTBOX_BACKOFF_MAX_MS: '200',
      OUTBOX_POLL_INTERVAL_MS: '50',
    });
    code = await f.reserveAndPay();
    const webhookRows = () =>
      f.t.dataSource.getRepository(OutboxEvent).findBy({ type: SEND_STATUS_WEBHOOK, aggregateId: code });
    await waitForProgress({
      what: `the lifecycle events and webhooks of ${code}`,
      progress: async () => ({
        status: (await f.reservation(code)).status,
        changes: (await historyOf(f, code)).length,
        published: (await publishRows(f, code)).filter((row) => row.status === OutboxStatus.DONE).length,
        delivered: (await webhookRows()).filter((row) => row.status === OutboxStatus.DONE).length,
      }),
      done: (p) =>
        p.status === ReservationStatus.SUPPLIER_CONFIRMED &&
        p.published === p.changes &&
        p.delivered === p.changes,
    });
  });
  afterAll(async () => {
    await f?.close();
    await receiver.stop();
    forgetEnv();
    await deleteStream(jsm, stream);
    await nc?.close();
    unpatchHttp();
    await shutdownTracing();
  });

  const spans = () => exporter.getFinishedSpans();
  const idOf = (span: ReadableSpan) => span.spanContext().spanId;
  const traceOf = (span: ReadableSpan) => span.spanContext().traceId;
  const parentOf = (span: ReadableSpan) =>
    spans().find((candidate) => idOf(candidate) === span.parentSpanContext?.spanId);
  const eventSpansOf = (type: string) =>
    spans().filter(
      (span) =>
        span.name === type && span.kind === SpanKind.CONSUMER && span.attributes['reservation.code'] === code,
    );

  it("publishes each change in a PRODUCER span under its PUBLISH_LIFECYCLE_EVENT span, with the messaging attributes and that span's traceparent in the message headers; the CloudEvent body is unchanged", async () => {
    const info = await jsm.streams.info(stream);
    const messages = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const stored = await jsm.streams.getMessage(stream, { seq });
      if ((JSON.parse(stored.string()) as { subject: string }).subject === code) messages.push(stored);
    }
    const changes = await historyOf(f, code);
    expect(messages).toHaveLength(changes.length);
    // One run per change (more only if a publish timed out on a loaded machine and ran again).
    expect(eventSpansOf('PUBLISH_LIFECYCLE_EVENT').length).toBeGreaterThanOrEqual(changes.length);

    for (const message of messages) {
      const event = JSON.parse(message.string()) as { id: string };
      // The publish JetStream stored (a rerun of it would be a duplicate, dropped).
      const producer = spans().find(
        (span) =>
          span.kind === SpanKind.PRODUCER &&
          span.attributes['messaging.message.id'] === event.id &&
          span.attributes['messaging.nats.jetstream.duplicate'] === false,
      )!;
      expect(producer).toBeDefined();
      expect(producer.name).toBe(`publish ${message.subject}`);
      expect(producer.attributes).toMatchObject({
        'messaging.system': 'nats',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'publish',
        'messaging.destination.name': message.subject,
        'messaging.message.id': event.id,
        'messaging.message.body.size': message.data.length,
        'messaging.nats.jetstream.sequence': message.seq,
        'messaging.nats.jetstream.duplicate': false,
        'server.address': '127.0.0.1',
        'server.port': 4222,
      });
      expect(producer.status.code).not.toBe(SpanStatusCode.ERROR);
      // Its parent: the outbox event's span, in the trace of the change.
      const consumer = parentOf(producer)!;
      expect(consumer).toMatchObject({ name: 'PUBLISH_LIFECYCLE_EVENT', kind: SpanKind.CONSUMER });
      expect(consumer.attributes['reservation.code']).toBe(code);
      expect(traceOf(consumer)).toBe(traceOf(producer));
      // A consumer of the stream continues the trace from the headers.
      expect(message.header.get('traceparent')).toBe(`00-${traceOf(producer)}-${idOf(producer)}-01`);
      expect(message.header.get('Nats-Msg-Id')).toBe(event.id);
      // The body is the CloudEvent alone: no trace context in it (no CloudEvents tracing extension).
      expect(Object.keys(JSON.parse(message.string()) as object).sort()).toEqual(CLOUD_EVENT_KEYS);
      expect(message.string()).not.toContain(traceOf(producer));
    }
    // The creation's change was published in the creation's trace: the request's server span is its root.
    const created = spans().find(
      (span) =>
        span.kind === SpanKind.PRODUCER &&
        String(span.attributes['messaging.destination.name']).endsWith('.created'),
    )!;
    const creationRequest = spans().find(
      (span) => span.kind === SpanKind.SERVER && span.attributes['url.path'] === '/api/v1/reservations',
    )!;
    expect(traceOf(created)).toBe(traceOf(creationRequest));
  });

  it('POSTs each status webhook in an undici CLIENT span under its SEND_STATUS_WEBHOOK span, retries in the same trace, and the receiver gets that span as traceparent', async () => {
    const deliveries = receiver.of(code);
    const changes = await historyOf(f, code);
    // Every change twice: refused once (503), accepted on its retry.
    expect(deliveries).toHaveLength(changes.length * 2);
    const attemptsOf = new Map<string, ReadableSpan[]>();
    for (const delivery of deliveries) {
      expect(delivery.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      const [, traceId, spanId, flags] = delivery.headers.traceparent.split('-');
      expect(flags).toBe('01');
      const call = spans().find((span) => idOf(span) === spanId)!;
      expect(call).toMatchObject({ kind: SpanKind.CLIENT });
      expect(traceOf(call)).toBe(traceId);
      expect(call.attributes).toMatchObject({
        'http.request.method': 'POST',
        'url.full': receiver.url,
        'http.response.status_code': delivery.answer,
      });
      const attempt = parentOf(call)!;
      expect(attempt).toMatchObject({ name: SEND_STATUS_WEBHOOK, kind: SpanKind.CONSUMER });
      expect(attempt.attributes['reservation.code']).toBe(code);
      attemptsOf.set(delivery.id, [...(attemptsOf.get(delivery.id) ?? []), attempt]);
    }
    // A change's two attempts: two spans, attempts 1 and 2, the first ERROR, one trace, one parent.
    for (const attempts of attemptsOf.values()) {
      expect(attempts.map((span) => span.attributes['outbox.attempt'])).toEqual([1, 2]);
      expect(attempts.map((span) => span.status.code === SpanStatusCode.ERROR)).toEqual([true, false]);
      expect(new Set(attempts.map(traceOf)).size).toBe(1);
      expect(new Set(attempts.map((span) => span.parentSpanContext?.spanId)).size).toBe(1);
    }
    expect(eventSpansOf(SEND_STATUS_WEBHOOK)).toHaveLength(changes.length * 2);
  });
});
