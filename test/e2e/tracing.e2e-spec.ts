import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { MySQL2Instrumentation } from '@opentelemetry/instrumentation-mysql2';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { InMemorySpanExporter, ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { INestApplication } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { TransactionRunner, untraced } from '@app/core';
import { shutdownTracing, startTracing } from '@app/core/instrumentation';
import { Outbox, OutboxEvent } from '@app/outbox';
import { ExpireUnpaidReservationsJob, ReconcilePaymentsJob } from '@app/payments';
import { Reservation } from '@app/reservations';
import { aCreateBody, aKey } from '../support/builders';
import { instrumentCoreHttpForJest } from '../support/jest-http-instrumentation';
import { freePort, TestSmtpServer } from '../support/smtp-server';
import { DATABASE_KINDS } from '../support/test-database';
import { waitUntil } from '../support/wait-for-progress';
import { startSupplierFixture, SupplierFixture } from '../suppliers/supplier-fixture';

const EMAIL = 'ana@example.com';

/**
 * mysql2's instrumentation, applied by hand for the reason test/support/jest-http-instrumentation.ts
 * gives (Jest's module registry hides `require` from it): the same patch of mysql2's connection
 * prototype the SDK makes on `require('mysql2')`. Returns what takes it off.
 */
function instrumentMysql2ForJest(): () => void {
  const instrumentation = new MySQL2Instrumentation();
  const [definition] = instrumentation.getModuleDefinitions();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mysql2 = require('mysql2') as { Connection: unknown };
  definition.patch?.(mysql2);
  // What mysql2/lib/connection.js exports (not reachable through the package's exports map).
  const connection = mysql2.Connection;
  const file = definition.files.find((each) => each.name === 'mysql2/lib/connection.js')!;
  file.patch(connection);
  return () => {
    file.unpatch(connection);
    instrumentation.disable();
  };
}

type LogLine = Record<string, unknown>;

/**
 * The app's log lines, with the trace ids pino's instrumentation adds. Under Jest it cannot wrap
 * `pino()` as the app requires it (see above), so the app's loggers, made already, take the
 * mixin that the instrumented `pino()` gives each logger it makes (what writes `trace_id` and
 * `span_id` from the active span), and write to memory instead of stdout. nestjs-pino has two:
 * the requests' (`PinoLogger.root`, their lines' parent) and the one for lines outside any request
 * (where the outbox runs).
 */
async function captureLogsForJest(app: INestApplication): Promise<{ lines: LogLine[]; restore: () => void }> {
  const instrumentation = new PinoInstrumentation({ disableLogSending: true });
  const instrumented = instrumentation.getModuleDefinitions()[0].patch!(pino) as typeof pino;
  const nowhere = new Writable({ write: (_chunk, _encoding, done) => done() });
  const { mixinSym, streamSym } = pino.symbols;
  const mixin = (instrumented({}, nowhere) as unknown as Record<symbol, unknown>)[mixinSym];
  const lines: LogLine[] = [];
  const memory = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as LogLine);
      done();
    },
  });
  type Patchable = Record<symbol, unknown> & { level: string };
  const loggers = [PinoLogger.root, (await app.resolve(PinoLogger)).logger] as unknown as Patchable[];
  const saved = loggers.map((logger) => ({
    [mixinSym]: logger[mixinSym],
    [streamSym]: logger[streamSym],
    level: logger.level,
  }));
  for (const logger of loggers)
    Object.assign(logger, { [mixinSym]: mixin, [streamSym]: memory, level: 'info' });
  return {
    lines,
    restore: () => {
      loggers.forEach((logger, index) => Object.assign(logger, saved[index]));
      instrumentation.disable();
    },
  };
}

/** Questions about the finished spans: by id, by parent, an event's runs in attempt order, a request's, the calls a span made. */
function spanQueries(exporter: InMemorySpanExporter) {
  const spans = () => exporter.getFinishedSpans();
  const idOf = (span: ReadableSpan) => span.spanContext().spanId;
  const traceOf = (span: ReadableSpan) => span.spanContext().traceId;
  const childrenOf = (parent: ReadableSpan) =>
    spans().filter((span) => span.parentSpanContext?.spanId === idOf(parent));
  const eventSpans = (type: string, code: string) =>
    spans()
      .filter((span) => span.name === type && span.attributes['reservation.code'] === code)
      .sort((a, b) => Number(a.attributes['outbox.attempt']) - Number(b.attributes['outbox.attempt']));
  const serverSpan = (path: string, code?: string) =>
    spans().find(
      (span) =>
        span.kind === SpanKind.SERVER &&
        span.attributes['url.path'] === path &&
        (!code || childrenOf(span).some((child) => child.attributes['reservation.code'] === code)),
    );
  const clientCallsOf = (parent: ReadableSpan, url: RegExp) =>
    childrenOf(parent).filter(
      (span) => span.kind === SpanKind.CLIENT && url.test(String(span.attributes['url.full'])),
    );
  return { spans, idOf, traceOf, childrenOf, eventSpans, serverSpan, clientCallsOf };
}

/**
 * Traces through the outbox, in this process, with an in-memory exporter: one reservation
 * created (Stripe down for the inline call), paid, booked and mailed (the mail server down for
 * the first sends), and the spans that tell it, parent by parent; then what jobs start (an
 * expiry's cancel, a reconciliation), the log lines written in event spans, and the drainer's
 * own work, which is in no trace. The tests run in order and share the app.
 */
describe.each(DATABASE_KINDS)('traces through the outbox on %s (in process)', (kind) => {
  const exporter = new InMemorySpanExporter();
  const smtp = new TestSmtpServer();
  let smtpPort: number;
  let f: SupplierFixture;
  let unpatchHttp: () => void = () => undefined;
  let unpatchMysql2: () => void = () => undefined;
  let logs: { lines: LogLine[]; restore: () => void } = { lines: [], restore: () => undefined };

  beforeAll(async () => {
    startTracing({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    unpatchHttp = instrumentCoreHttpForJest();
    // SQLite has no instrumentation: its statements are never spans.
    if (kind === 'mysql') unpatchMysql2 = instrumentMysql2ForJest();
    // The mail server's port is known and nothing listens on it yet: the first sends fail.
    smtpPort = await freePort();
    f = await startSupplierFixture(kind, {
      PAYMENT_CAPTURE: 'immediate',
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      SMTP_TIMEOUT_MS: '2000',
      MAIL_FROM: 'Car Rental Receipts <receipts@rental.example>',
    });
    logs = await captureLogsForJest(f.t.app);
  });
  afterAll(async () => {
    logs.restore();
    await f?.close();
    await smtp.stop();
    unpatchHttp();
    unpatchMysql2();
    await shutdownTracing();
  });

  const { spans, idOf, traceOf, childrenOf, eventSpans, serverSpan, clientCallsOf } = spanQueries(exporter);
  const sqlOf = (span: ReadableSpan) => span.attributes['db.query.text'];
  const logOf = (msg: string, eventId: number) =>
    logs.lines.filter((line) => line.msg === msg && line.eventId === eventId);
  /** The span a stored trace context names, as `{ traceId, spanId }`. */
  /** A reservation created over HTTP (its request traced), then the outbox settled untraced. */
  const createdAndSettled = async (): Promise<string> => {
    const created = await request(f.base)
      .post('/api/v1/reservations')
      .set('Idempotency-Key', aKey())
      .send(aCreateBody())
      .expect(202);
    await untraced(() => f.settle());
    return created.body.reservation_code as string;
  };

  const storedIds = (stored: string | null) => {
    const [, traceId, spanId] = (JSON.parse(stored!) as { traceparent: string }).traceparent.split('-');
    return { traceId, spanId };
  };

  it("create → pay → book → mail: each event a span in its enqueuer's trace, its calls its children, retries in the same trace, the payment linked to the creation", async () => {
    f.sandbox.injectFault({ operation: 'create_payment_intent', mode: 'error', status: 500, count: 1 });
    const created = await request(f.base)
      .post('/api/v1/reservations')
      .set('Idempotency-Key', aKey())
      .send(aCreateBody())
      .expect(202);
    const code = created.body.reservation_code as string;
    expect(created.body.payment).toBeNull();
    // The outbox's safety net creates the PaymentIntent.
    await f.drainNow();
    await f.settle();
    const intent = (await f.reservation(code)).paymentIntentId!;
    const paid = await f.sandbox.succeed(intent);
    await f.acknowledge(paid.event.id, paid.delivery);
    await f.settle();
    await f.drainNow();
    await smtp.start(smtpPort);
    await f.drainNow();
    await waitUntil(
      () =>
        smtp.to(EMAIL).length > 0 &&
        eventSpans('SEND_RECEIPT_EMAIL', code).some((span) => span.status.code !== SpanStatusCode.ERROR),
    );

    // The creation: its request's span, and the safety net in its trace, calling Stripe.
    const creation = spans().find(
      (span) => span.kind === SpanKind.SERVER && span.attributes['url.path'] === '/api/v1/reservations',
    )!;
    expect(creation).toBeDefined();
    const [safetyNet] = eventSpans('CREATE_PAYMENT_INTENT', code);
    expect(safetyNet).toMatchObject({
      kind: SpanKind.CONSUMER,
      parentSpanContext: expect.objectContaining({ spanId: idOf(creation) }),
    });
    expect(traceOf(safetyNet)).toBe(traceOf(creation));
    expect(safetyNet.attributes).toMatchObject({
      'outbox.event.type': 'CREATE_PAYMENT_INTENT',
      'outbox.attempt': 1,
      'outbox.lane': 'payments',
      'reservation.code': code,
    });
    expect(safetyNet.attributes['outbox.event.id']).toEqual(expect.any(Number));
    expect(clientCallsOf(safetyNet, /\/v1\/payment_intents$/)).toHaveLength(1);

    // The payment: Stripe's webhook, a trace of its own, linked to the creation's.
    const webhook = serverSpan('/api/v1/webhooks/stripe', code)!;
    expect(webhook).toBeDefined();
    expect(traceOf(webhook)).not.toBe(traceOf(creation));
    expect(webhook.links).toEqual([
      expect.objectContaining({
        context: expect.objectContaining({ traceId: traceOf(creation), spanId: idOf(creation) }),
        attributes: expect.objectContaining({ 'reservation.code': code }),
      }),
    ]);

    // The booking, in the webhook's trace, calling the supplier.
    const [booking] = eventSpans('BOOK_WITH_SUPPLIER', code);
    expect(booking.parentSpanContext?.spanId).toBe(idOf(webhook));
    expect(clientCallsOf(booking, /\/ota\/VehRes$/)).toHaveLength(1);

    // The receipt, then its e-mail: failed while the mail server was down, retried in the same trace, under the same parent.
    const [receipt] = eventSpans('ISSUE_RECEIPT', code);
    expect(receipt.parentSpanContext?.spanId).toBe(idOf(booking));
    const mails = eventSpans('SEND_RECEIPT_EMAIL', code);
    expect(mails.length).toBeGreaterThanOrEqual(2);
    expect(mails.map((span) => span.attributes['outbox.attempt'])).toEqual(
      mails.map((_, index) => index + 1),
    );
    for (const mail of mails) {
      expect(traceOf(mail)).toBe(traceOf(webhook));
      expect(mail.parentSpanContext?.spanId).toBe(idOf(receipt));
      const sends = childrenOf(mail).filter((span) => span.name === 'smtp send');
      expect(sends).toEqual([expect.objectContaining({ kind: SpanKind.CLIENT })]);
      expect(sends[0].attributes).toMatchObject({
        'server.address': '127.0.0.1',
        'server.port': smtpPort,
        'network.protocol.name': 'smtp',
      });
      expect(JSON.stringify(sends[0].attributes)).not.toContain(EMAIL);
    }
    expect(mails.slice(0, -1).map((span) => span.status.code)).toEqual(
      mails.slice(0, -1).map(() => SpanStatusCode.ERROR),
    );
    expect(mails.at(-1)!.status.code).not.toBe(SpanStatusCode.ERROR);
  });
  it("a caller's tracestate too long for the stored context: the create still succeeds, in the caller's trace, the tracestate left out of what is stored", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    // Legal (W3C allows 512 characters, the SDK keeps it), and too long with the rest for the 512-character column.
    const tracestate = `a=${'x'.repeat(250)},b=${'y'.repeat(255)}`;
    // Sent as is: outside any span, the test's own client neither makes a span nor writes its own traceparent.
    const created = await untraced(async () =>
      request(f.base)
        .post('/api/v1/reservations')
        .set('Idempotency-Key', aKey())
        .set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`)
        .set('tracestate', tracestate)
        .send(aCreateBody())
        .expect(202),
    );
    const code = created.body.reservation_code as string;
    const stored = (await f.reservation(code)).traceContext!;
    expect(stored.length).toBeLessThanOrEqual(512);
    expect(storedIds(stored).traceId).toBe(traceId);
    expect(JSON.parse(stored)).not.toHaveProperty('tracestate');
    const creation = spans().find((span) => idOf(span) === storedIds(stored).spanId)!;
    expect(creation.spanContext().traceState?.serialize()).toBe(tracestate);
    // The outbox row (the PaymentIntent's safety net) likewise.
    const [safetyNet] = await f.events('CREATE_PAYMENT_INTENT', code);
    expect(storedIds(safetyNet.traceContext).traceId).toBe(traceId);
    expect(safetyNet.traceContext!.length).toBeLessThanOrEqual(512);
  });

  it('an event enqueued outside any trace (a job): its first run is the trace, its retry continues it, its log lines carry their span', async () => {
    const code = await createdAndSettled();
    expect((await f.reservation(code)).paymentIntentId).toMatch(/^pi_/);
    // Unpaid past its window: the expiry job (no request, no span) cancels its intent through the outbox; Stripe fails the first cancel.
    await f.t.dataSource
      .getRepository(Reservation)
      .update({ code }, { createdAt: new Date(Date.now() - 31 * 60_000) });
    f.sandbox.injectFault({ operation: 'cancel_payment_intent', mode: 'error', status: 500, count: 1 });
    expect(await f.t.app.get(ExpireUnpaidReservationsJob).run()).toBeGreaterThanOrEqual(1);
    // Its first run (nudged by the job's commit) failed and is recorded: then its retry, now.
    await untraced(() =>
      waitUntil(async () => (await f.events('CANCEL_PAYMENT_INTENT', code))[0]?.lastError != null),
    );
    const [event] = await f.events('CANCEL_PAYMENT_INTENT', code);
    await untraced(() => f.drainNow());
    await waitUntil(() => eventSpans('CANCEL_PAYMENT_INTENT', code).length > 1);

    const [first, second] = eventSpans('CANCEL_PAYMENT_INTENT', code);
    expect(first.status.code).toBe(SpanStatusCode.ERROR);
    expect(first.parentSpanContext).toBeUndefined();
    expect(second.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(second.attributes['outbox.attempt']).toBe(2);
    expect(traceOf(second)).toBe(traceOf(first));
    expect(second.parentSpanContext?.spanId).toBe(idOf(first));
    // The first run's context is the row's now.
    expect(storedIds((await f.events('CANCEL_PAYMENT_INTENT', code))[0].traceContext)).toEqual({
      traceId: traceOf(first),
      spanId: idOf(first),
    });
    // Each attempt's Stripe call is its child.
    expect(clientCallsOf(first, /\/v1\/payment_intents\/pi_\w+\/cancel$/)).toHaveLength(1);
    expect(clientCallsOf(second, /\/v1\/payment_intents\/pi_\w+\/cancel$/)).toHaveLength(1);
    // The line the failure logged, in its span.
    expect(logOf('outbox event failed; will retry', event.id)).toEqual([
      expect.objectContaining({ trace_id: traceOf(first), span_id: idOf(first), trace_flags: '01' }),
    ]);
  });

  it("a DEAD verdict reached before any handler runs (attempts exhausted) is logged in the event's span", async () => {
    const { id } = await f.t.app.get(TransactionRunner).run(async (manager) => ({
      id: await f.t.app.get(Outbox).enqueue(manager, {
        type: 'CANCEL_PAYMENT_INTENT',
        aggregateType: 'reservation',
        aggregateId: 'DEADBEEF',
        payload: { reservationCode: 'DEADBEEF', paymentIntentId: 'pi_none' },
        notBefore: new Date(Date.now() + 3_600_000),
      }),
    }));
    // Started far more often than allowed, never finished (it kept killing its process), and due.
    await f.t.dataSource
      .getRepository(OutboxEvent)
      .update({ id }, { attempts: 50, nextAttemptAt: new Date(Date.now() - 1000) });
    await untraced(() => f.drainNow());
    await waitUntil(
      async () => (await f.t.dataSource.getRepository(OutboxEvent).findOneByOrFail({ id })).status === 'DEAD',
    );

    const dead = spans().find((span) => span.attributes['outbox.event.id'] === id)!;
    expect(dead).toMatchObject({
      kind: SpanKind.CONSUMER,
      status: expect.objectContaining({ code: SpanStatusCode.ERROR }),
    });
    expect(logOf('outbox event is DEAD', id)).toEqual([
      expect.objectContaining({ level: 40, trace_id: traceOf(dead), span_id: idOf(dead) }),
    ]);
  });

  it("reconciliation: each reservation's work a span of a trace of its own, linked to the reservation's creation; the booking it starts in that trace", async () => {
    const code = await createdAndSettled();
    const reservation = await f.reservation(code);
    const creation = storedIds(reservation.traceContext);
    expect(spans().find((span) => idOf(span) === creation.spanId)).toMatchObject({
      kind: SpanKind.SERVER,
      attributes: expect.objectContaining({ 'url.path': '/api/v1/reservations' }),
    });
    // Paid, and Stripe's webhook lost: the reconciliation, a while later, reads the intent.
    await f.sandbox.succeed(reservation.paymentIntentId!, { deliver: false });
    const aWhileAgo = new Date(Date.now() - 11 * 60_000);
    await f.t.dataSource.getRepository(Reservation).update({ code }, { updatedAt: aWhileAgo });
    expect(await f.t.app.get(ReconcilePaymentsJob).run()).toBeGreaterThanOrEqual(1);
    await untraced(() => f.settle());

    const reconciled = spans().filter(
      (span) => span.name === 'reconcile payment' && span.attributes['reservation.code'] === code,
    );
    expect(reconciled).toHaveLength(1);
    const [run] = reconciled;
    expect(run.parentSpanContext).toBeUndefined();
    expect(traceOf(run)).not.toBe(creation.traceId);
    expect(run.attributes['payment.reconcile.check']).toBe('outcome_awaited');
    expect(run.links).toEqual([
      expect.objectContaining({
        context: expect.objectContaining(creation),
        attributes: expect.objectContaining({ 'reservation.code': code }),
      }),
    ]);
    expect(clientCallsOf(run, /\/v1\/payment_intents\/pi_\w+(\?.*)?$/)).toHaveLength(1);
    const [booking] = eventSpans('BOOK_WITH_SUPPLIER', code);
    expect(booking.parentSpanContext?.spanId).toBe(idOf(run));
  });

  it("the drainer's own SQL (claims, marks) is in no trace, an idle poll makes no span; the handlers' SQL is in their events' traces", async () => {
    // A webhook's commit nudges the drain (the booking), and the booking's handler nudges it again (the receipt).
    const code = await f.reserveAndPay();
    await untraced(() => f.settle());
    const [booking] = eventSpans('BOOK_WITH_SUPPLIER', code);
    expect(booking).toBeDefined();
    // Where statements are spans at all (MySQL), the booking's own are its children.
    expect(childrenOf(booking).some((span) => sqlOf(span) !== undefined)).toBe(kind === 'mysql');
    // Claims (FOR UPDATE SKIP LOCKED, then the lease) and marks (done, failed, released) name the lease owner.
    const bookkeeping = spans().filter((span) =>
      /SKIP LOCKED|^UPDATE\s+`?outbox_events`?\s+SET\b.*\blease_owner\b/is.test(String(sqlOf(span) ?? '')),
    );
    expect(bookkeeping.map((span) => sqlOf(span))).toEqual([]);

    // Idle (the safety nets of this file's reservations run now, not in the window): the polls
    // (every second, each lane) and a reconciliation that finds nothing leave no trace.
    await untraced(() => f.drainNow());
    const before = spans().length;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await f.t.app.get(ReconcilePaymentsJob).run();
    expect(
      spans()
        .slice(before)
        .map((span) => `${span.name} ${String(sqlOf(span) ?? '')}`),
    ).toEqual([]);
  });
});

/** Held payments (PAYMENT_CAPTURE=after_supplier_confirmation): the capture and the release are events of the payment's trace too. */
describe('holds captured and released in the trace of their payment (in process, sqlite)', () => {
  const exporter = new InMemorySpanExporter();
  const { idOf, traceOf, eventSpans, serverSpan, clientCallsOf } = spanQueries(exporter);
  let f: SupplierFixture;
  let unpatchHttp: () => void = () => undefined;

  beforeAll(async () => {
    startTracing({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    unpatchHttp = instrumentCoreHttpForJest();
    f = await startSupplierFixture('sqlite', { PAYMENT_CAPTURE: 'after_supplier_confirmation' });
  });
  afterAll(async () => {
    await f?.close();
    unpatchHttp();
    await shutdownTracing();
  });

  it("CAPTURE_PAYMENT after the supplier's confirmation, RELEASE_HOLD after its refusal: children of the booking in the webhook's trace, Stripe's call their child", async () => {
    const booked = await f.reserveAndPay();
    await untraced(() => f.settle());
    const refused = (await untraced(() => f.rejected())).code;
    for (const [code, type, call] of [
      [booked, 'CAPTURE_PAYMENT', /\/v1\/payment_intents\/pi_\w+\/capture$/],
      [refused, 'RELEASE_HOLD', /\/v1\/payment_intents\/pi_\w+\/cancel$/],
    ] as const) {
      const webhook = serverSpan('/api/v1/webhooks/stripe', code)!;
      const [booking] = eventSpans('BOOK_WITH_SUPPLIER', code);
      const [event] = eventSpans(type, code);
      expect(booking.parentSpanContext?.spanId).toBe(idOf(webhook));
      expect(event).toMatchObject({
        kind: SpanKind.CONSUMER,
        parentSpanContext: expect.objectContaining({ spanId: idOf(booking) }),
      });
      expect(traceOf(event)).toBe(traceOf(webhook));
      expect(event.attributes).toMatchObject({
        'outbox.event.type': type,
        'outbox.attempt': 1,
        'reservation.code': code,
      });
      expect(clientCallsOf(event, call)).toHaveLength(1);
    }
  });
});
