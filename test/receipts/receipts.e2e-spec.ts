import { simpleParser } from 'mailparser';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { IssueReceiptHandler, Receipt, SEND_RECEIPT_EMAIL } from '@app/receipts';
import { getReceiptPdf, pdfText } from '../support/pdf-text';
import { DATABASE_KINDS } from '../support/test-database';
import { startSupplierFixture, SupplierFixture } from '../suppliers/supplier-fixture';

/** Receipts issued through the outbox when a reservation is confirmed, once per version. */
describe.each(DATABASE_KINDS)('receipts on %s', (kind) => {
  let f: SupplierFixture;

  beforeAll(async () => {
    f = await startSupplierFixture(kind);
  });
  afterAll(async () => {
    await f.close();
  });
  beforeEach(() => {
    for (const simulator of Object.values(f.simulators)) simulator.setFaults({});
  });

  const receipt = (code: string, email = 'ana@example.com') => request(f.base).get(`/api/v1/reservations/${code}/receipt`).query({ email });
  const receipts = (code: string) => f.t.dataSource.getRepository(Receipt).find({ where: { reservationCode: code }, order: { version: 'ASC' } });

  it('issues version 1 with everything a receipt says when the supplier confirms', async () => {
    const code = await f.reserveAndPay('BUDGET');
    await f.settle();
    const reservation = await f.reservation(code);
    const body = (await receipt(code.toLowerCase()).expect(200)).body;
    expect(body).toEqual({
      number: expect.stringMatching(new RegExp(`^R-${new Date().getUTCFullYear()}-\\d{6}$`)),
      version: 1,
      issued_at: expect.any(String),
      issuer: { name: 'Reservations API Car Rental', address: ['Calle de Ejemplo 1', '28001 Madrid', 'Spain'], support_email: 'support@reservations.example' },
      reservation_code: code,
      customer: { first_name: 'Ana', last_name: 'Pérez', email: 'ana@example.com' },
      supplier: { code: 'BUDGET', name: 'Budget' },
      pickup: { office_code: 'MAD-T4', office_name: expect.any(String), city: 'Madrid', at: reservation.pickupLocal, time_zone: 'Europe/Madrid' },
      dropoff: { office_code: 'BCN-T1', office_name: expect.any(String), city: 'Barcelona', at: reservation.dropoffLocal, time_zone: 'Europe/Madrid' },
      car_category: { code: 'CDMR', description: expect.stringMatching(/\w/) },
      price: { amount: 18950, currency: 'EUR', formatted: '€189.50' },
      payment_reference: reservation.paymentIntentId,
      payment_status: 'charged',
      supplier_status: 'confirmed',
      supplier_confirmation: reservation.supplierConfirmation,
      supplier_note: null,
    });
    expect(await f.events(SEND_RECEIPT_EMAIL, body.number)).toHaveLength(1);
  });

  it('issues "pending with the supplier" first, then version 2 with the confirmation number', async () => {
    f.simulators.HERTZ.setFaults({ errorRate: 1 });
    const code = await f.reserveAndPay();
    await f.settle();
    const pending = (await receipt(code).expect(200)).body;
    expect(pending).toMatchObject({ version: 1, supplier_status: 'pending', supplier_confirmation: null });
    expect(pending.supplier_note).toMatch(/pending with the supplier/i);

    f.simulators.HERTZ.setFaults({});
    await f.drainNow();
    await f.settle();
    const confirmed = (await receipt(code).expect(200)).body;
    expect(confirmed).toMatchObject({ version: 2, supplier_status: 'confirmed', supplier_note: null });
    expect(confirmed.supplier_confirmation).toBe(f.simulators.HERTZ.bookings().get(code));
    expect(confirmed.number).not.toBe(pending.number);
    expect((await receipts(code)).map((r) => r.version)).toEqual([1, 2]);
    for (const number of [pending.number, confirmed.number]) expect(await f.events(SEND_RECEIPT_EMAIL, number)).toHaveLength(1);

    // Running the issue again changes nothing: the reservation is up to date.
    expect(await f.t.app.get(IssueReceiptHandler).execute(code)).toBe('up_to_date');
    expect(await receipts(code)).toHaveLength(2);
  });

  it('concurrent issuers never issue one version twice', async () => {
    const code = await f.reserveAndPay('EUROPCAR');
    await f.settle();
    await f.t.dataSource.getRepository(Receipt).delete({ reservationCode: code });
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => f.t.app.get(IssueReceiptHandler).execute(code)));
    expect(outcomes.filter((outcome) => outcome === 'issued')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome !== 'issued').every((outcome) => outcome === 'up_to_date')).toBe(true);
    expect(await receipts(code)).toHaveLength(1);
  });

  it('answers 404 for a wrong e-mail, and RECEIPT.NOT_ISSUED before confirmation, for JSON and PDF alike', async () => {
    const code = await f.reserveAndPay();
    await f.settle();
    const unpaid = await f.reserve();
    for (const path of ['receipt', 'receipt.pdf']) {
      const wrongEmail = await request(f.base).get(`/api/v1/reservations/${code}/${path}`).query({ email: 'someone@example.com' }).expect(404);
      expect(wrongEmail.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(wrongEmail.body.code).toBe('RESERVATION.NOT_FOUND');
      const notIssued = await request(f.base).get(`/api/v1/reservations/${unpaid.reservation_code}/${path}`).query({ email: 'ana@example.com' }).expect(404);
      expect(notIssued.body.code).toBe('RECEIPT.NOT_ISSUED');
      const noEmail = await request(f.base).get(`/api/v1/reservations/${code}/${path}`).expect(422);
      expect(noEmail.body.errors).toEqual([expect.objectContaining({ field: 'email', code: 'REQUEST.FIELD_REQUIRED' })]);
    }
  });

  it('serves the latest version as a PDF, the one that was mailed', async () => {
    const code = await f.reserveAndPay();
    await f.settle();
    const json = (await receipt(code).expect(200)).body;
    const response = await getReceiptPdf(f.base, code.toLowerCase(), 'ANA@example.com').expect(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.headers['content-disposition']).toBe(`inline; filename="${json.number}.pdf"`);
    expect(response.headers['cache-control']).toBe('private, no-store');
    const { pages, text } = await pdfText(response.body as Buffer);
    expect(pages).toBe(1);
    for (const expected of [code, json.number, '€189.50', 'Ana Pérez', json.supplier_confirmation]) expect(text).toContain(expected);
  });

  it('writes the e-mail as an .eml file under MAIL_DIR when no SMTP_URL is set', async () => {
    const code = await f.reserveAndPay('EUROPCAR');
    await f.settle();
    const [issued] = await receipts(code);
    expect(issued.emailedAt).toBeInstanceOf(Date);
    const file = join(process.env.MAIL_DIR!, `receipt-${issued.number}.eml`);
    const mail = await simpleParser(await readFile(file));
    expect(mail.to).toMatchObject({ value: [{ name: 'Ana Pérez', address: 'ana@example.com' }] });
    expect(mail.subject).toBe(`Receipt ${issued.number} for your car rental ${code}`);
    expect(mail.attachments.map((attachment) => attachment.filename)).toEqual([`${issued.number}.pdf`]);
    expect((await pdfText(mail.attachments[0].content)).text).toContain(code);
  });
});
