import { OutboxStatus } from '@app/outbox';
import { Receipt, SEND_RECEIPT_EMAIL, SendReceiptEmailHandler } from '@app/receipts';
import { ParsedMail } from 'mailparser';
import request from 'supertest';
import { aCreateBody, aKey, CreateBody, localAt } from '../support/builders';
import { pdfText } from '../support/pdf-text';
import { freePort, TestSmtpServer } from '../support/smtp-server';
import { DATABASE_KINDS } from '../support/test-database';
import { ADMIN_TOKEN, startSupplierFixture, SupplierFixture } from '../suppliers/supplier-fixture';

/** A reservation whose every name is accented: Zürich to Łódź, for José Pérez of São Paulo. */
const accented = (): CreateBody =>
  aCreateBody({
    supplier_code: 'EUROPCAR',
    pickup: { office_code: 'ZRH-AP', at: localAt(30, 'Europe/Zurich') },
    dropoff: { office_code: 'LCJ-AP', at: localAt(33, 'Europe/Warsaw') },
    customer: { first_name: 'José', last_name: 'Pérez São Paulo', email: 'jose@example.com', phone: '+34600111222' },
    price: { amount: 18950, currency: 'EUR' },
  });

/** Receipt e-mails through a real SMTP server: PDF attached, once per version, retried while the server is down. */
describe.each(DATABASE_KINDS)('receipt e-mails on %s', (kind) => {
  const smtp = new TestSmtpServer();
  let smtpPort: number;
  let f: SupplierFixture;

  beforeAll(async () => {
    // The mail server starts down: its port is known, nothing listens on it yet.
    smtpPort = await freePort();
    f = await startSupplierFixture(kind, {
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      SMTP_TIMEOUT_MS: '2000',
      MAIL_FROM: 'Car Rental Receipts <receipts@rental.example>',
    });
  });
  afterAll(async () => {
    await f.close();
    await smtp.stop();
  });

  const reserveAndPay = async (body: CreateBody): Promise<string> => {
    const created = await request(f.base).post('/api/v1/reservations').set('Idempotency-Key', aKey()).send(body).expect(202);
    await f.sandbox.succeed(created.body.payment.payment_intent_id);
    return created.body.reservation_code as string;
  };
  const receiptsOf = (code: string) => f.t.dataSource.getRepository(Receipt).find({ where: { reservationCode: code }, order: { version: 'ASC' } });
  const mailEvent = async (number: string) => {
    const [event] = await f.events(SEND_RECEIPT_EMAIL, number);
    return event;
  };
  const attachmentText = async (mail: ParsedMail) => {
    expect(mail.attachments).toHaveLength(1);
    const [attachment] = mail.attachments;
    expect(attachment.contentType).toBe('application/pdf');
    return { filename: attachment.filename, ...(await pdfText(attachment.content)) };
  };

  it('keeps retrying while the mail server is down, then sends each version exactly once', async () => {
    // Down: the version is issued, its mail fails and is scheduled again, with no address in the error.
    const code = await reserveAndPay(accented());
    await f.settle();
    const [receipt] = await receiptsOf(code);
    expect(receipt.emailedAt).toBeNull();
    await f.drainNow();
    const failed = await mailEvent(receipt.number);
    expect(failed.status).toBe(OutboxStatus.PENDING);
    expect(failed.attempts).toBeGreaterThanOrEqual(2);
    expect(failed.lastError).toMatch(/mail not sent/);
    expect(failed.lastError).not.toContain('jose@example.com');

    // Up again: one mail, and only one however often the event is run or requeued.
    await smtp.start(smtpPort);
    await f.drainNow();
    expect(smtp.to('jose@example.com')).toHaveLength(1);
    expect((await mailEvent(receipt.number)).status).toBe(OutboxStatus.DONE);
    await f.t.dataSource.getRepository(Receipt).update({ id: receipt.id }, { emailClaimedUntil: null });
    expect(await f.t.app.get(SendReceiptEmailHandler).execute(receipt.number)).toBe('already_sent');
    await request(f.base).post(`/api/v1/admin/outbox/${failed.id}/requeue`).query({ force: true }).set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
    await f.drainNow();
    expect(smtp.to('jose@example.com')).toHaveLength(1);

    // What arrived: from MAIL_FROM to the customer, text and HTML, the PDF with the accented names.
    const [mail] = smtp.to('jose@example.com');
    const sent = (await receiptsOf(code))[0];
    expect(mail.from?.value).toEqual([{ name: 'Car Rental Receipts', address: 'receipts@rental.example' }]);
    expect(mail.to).toMatchObject({ value: [{ name: 'José Pérez São Paulo', address: 'jose@example.com' }] });
    expect(mail.messageId).toBe(sent.emailMessageId);
    expect(mail.messageId).toBe(`<receipt-${receipt.number}@rental.example>`);
    expect(sent.emailedAt).toBeInstanceOf(Date);
    expect(mail.subject).toBe(`Receipt ${receipt.number} for your car rental ${code}`);
    expect(mail.text).toContain('Dear José Pérez São Paulo,');
    expect(mail.text).toContain('Total paid: €189.50');
    expect(mail.html).toContain(`Receipt ${receipt.number}`);
    const pdf = await attachmentText(mail);
    expect(pdf.filename).toBe(`${receipt.number}.pdf`);
    expect(pdf.pages).toBe(1);
    for (const expected of [code, receipt.number, '€189.50', 'José Pérez São Paulo', 'Zürich', 'Łódź']) expect(pdf.text).toContain(expected);
  });

  it('mails the pending version and then the confirmed one, one mail each', async () => {
    await smtp.start(smtpPort);
    f.simulators.HERTZ.setFaults({ errorRate: 1 });
    const body = aCreateBody({ customer: { ...aCreateBody().customer, email: 'two.versions@example.com' } });
    const code = await reserveAndPay(body);
    await f.settle();
    f.simulators.HERTZ.setFaults({});
    await f.drainNow();
    await f.settle();

    const versions = await receiptsOf(code);
    expect(versions.map((receipt) => receipt.supplierStatus)).toEqual(['pending', 'confirmed']);
    const mails = smtp.to('two.versions@example.com');
    expect(mails.map((mail) => mail.subject).sort()).toEqual(
      [`Receipt ${versions[0].number} for your car rental ${code}`, `Updated receipt ${versions[1].number} for your car rental ${code}`].sort(),
    );
    const confirmed = await attachmentText(mails.find((mail) => mail.subject?.startsWith('Updated'))!);
    expect(confirmed.text).toContain(f.simulators.HERTZ.bookings().get(code)!);
    expect(confirmed.text).toContain('Version 2 (replaces version 1)');
  });

  it('concurrent senders of one version send it once', async () => {
    await smtp.start(smtpPort);
    const body = aCreateBody({ supplier_code: 'BUDGET', customer: { ...aCreateBody().customer, email: 'race@example.com' } });
    const code = await reserveAndPay(body);
    await f.settle();
    const [receipt] = await receiptsOf(code);
    expect(smtp.to('race@example.com')).toHaveLength(1);

    // As if it had never been sent: eight senders at once.
    await f.t.dataSource.getRepository(Receipt).update({ id: receipt.id }, { emailedAt: null, emailMessageId: null, emailClaimedUntil: null });
    const handler = f.t.app.get(SendReceiptEmailHandler);
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => handler.execute(receipt.number)));
    const sent = outcomes.filter((outcome) => outcome.status === 'fulfilled' && outcome.value === 'sent');
    expect(sent).toHaveLength(1);
    // The others found it sent, or found another sender at it and asked to be retried later.
    const refusals = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [String(outcome.reason)] : []));
    expect(refusals.filter((reason) => !/being mailed by another worker/.test(reason))).toEqual([]);
    expect(smtp.to('race@example.com')).toHaveLength(2);
  });

  it('does not retry a recipient the server refuses for good', async () => {
    await smtp.start(smtpPort);
    smtp.refused.add('nobody@example.com');
    const body = aCreateBody({ customer: { ...aCreateBody().customer, email: 'nobody@example.com' } });
    const code = await reserveAndPay(body);
    await f.settle();
    const [receipt] = await receiptsOf(code);
    const event = await mailEvent(receipt.number);
    expect(event.status).toBe(OutboxStatus.DEAD);
    expect(event.attempts).toBe(1);
    expect(event.lastError).toMatch(/EENVELOPE 550/);
    expect(event.lastError).not.toContain('nobody@example.com');
    expect((await receiptsOf(code))[0].emailedAt).toBeNull();
  });
});
