import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import request from 'supertest';
import { shutdownTracing, startTracing } from '@app/core/instrumentation';
import { aCreateBody, aKey } from '../support/builders';
import { instrumentCoreHttpForJest } from '../support/jest-http-instrumentation';
import { freePort, TestSmtpServer } from '../support/smtp-server';
import { DATABASE_KINDS } from '../support/test-database';
import { waitUntil } from '../support/wait-for-progress';
import { startSupplierFixture, SupplierFixture } from '../suppliers/supplier-fixture';

const EMAIL = 'ana@example.com';

/**
 * Traces through the outbox, in this process, with an in-memory exporter: one reservation
 * created (Stripe down for the inline call), paid, booked and mailed (the mail server down for
 * the first sends), and the spans that tell it, parent by parent.
 */
describe.each(DATABASE_KINDS)('traces through the outbox on %s (in process)', (kind) => {
  const exporter = new InMemorySpanExporter();
  const smtp = new TestSmtpServer();
  let smtpPort: number;
  let f: SupplierFixture;
  let unpatchHttp: () => void = () => undefined;

  beforeAll(async () => {
    startTracing({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    unpatchHttp = instrumentCoreHttpForJest();
    // The mail server's port is known and nothing listens on it yet: the first sends fail.
    smtpPort = await freePort();
    f = await startSupplierFixture(kind, {
      PAYMENT_CAPTURE: 'immediate',
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      SMTP_TIMEOUT_MS: '2000',
      MAIL_FROM: 'Car Rental Receipts <receipts@rental.example>',
    });
  });
  afterAll(async () => {
    await f?.close();
    await smtp.stop();
    unpatchHttp();
    await shutdownTracing();
  });

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
});
