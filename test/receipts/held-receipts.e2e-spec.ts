import request from 'supertest';
import { aCreateBody } from '../support/builders';
import { getReceiptPdf, pdfText } from '../support/pdf-text';
import { TestSmtpServer } from '../support/smtp-server';
import { DATABASE_KINDS } from '../support/test-database';
import { startSupplierFixture, SupplierFixture } from '../suppliers/supplier-fixture';

const EMAIL = aCreateBody().customer.email;
const HELD = '€189.50 is held on your card and will be charged when the supplier confirms the booking.';
const NOTHING_CHARGED = 'Nothing was charged: the hold of €189.50 on your card was released.';

/**
 * PAYMENT_CAPTURE=after_supplier_confirmation, as the customer gets the receipt: the JSON and the
 * PDF served by the API and the e-mail a real SMTP server receives, while the money is held and
 * once the hold is released (saying why).
 */
describe.each(DATABASE_KINDS)('receipts of a held payment, served and mailed, on %s', (kind) => {
  const smtp = new TestSmtpServer();
  let f: SupplierFixture;

  beforeAll(async () => {
    const smtpUrl = await smtp.start();
    f = await startSupplierFixture(kind, {
      PAYMENT_CAPTURE: 'after_supplier_confirmation',
      SUPPLIER_RETRY_BASE_SECONDS: '60',
      SMTP_URL: smtpUrl,
      SMTP_TIMEOUT_MS: '2000',
    });
  });
  afterAll(async () => {
    await f.close();
    await smtp.stop();
  });
  beforeEach(() => {
    for (const simulator of Object.values(f.simulators)) simulator.setFaults({});
  });

  /** The latest version as served (JSON and PDF text), and the text of the e-mail of that version. */
  const whatTheCustomerGets = async (code: string) => {
    const json = (await request(f.base).get(`/api/v1/reservations/${code}/receipt`).query({ email: EMAIL }).expect(200)).body as {
      number: string;
      version: number;
      payment_status: string;
      supplier_status: string;
      supplier_note: string | null;
    };
    const pdf = (await pdfText((await getReceiptPdf(f.base, code, EMAIL).expect(200)).body as Buffer)).text.replace(/\s+/g, ' ');
    const mails = smtp.to(EMAIL).filter((mail) => (mail.text ?? '').includes(json.number));
    expect(mails).toHaveLength(1);
    return { json, pdf, mail: (mails[0].text ?? '').replace(/\s+/g, ' ') };
  };

  it('held through a supplier outage: "Amount held", to be charged when the supplier confirms; then refused: nothing charged, the supplier could not book it', async () => {
    f.simulators.HERTZ.setFaults({ errorRate: 1 });
    const code = await f.reserveAndPay();
    await f.settle();

    const held = await whatTheCustomerGets(code);
    expect(held.json).toMatchObject({ version: 1, payment_status: 'held', supplier_status: 'pending' });
    expect(held.pdf).toContain('Amount held (EUR) €189.50');
    expect(held.mail).toContain('Amount held: €189.50');
    for (const said of [held.pdf, held.mail]) {
      expect(said).toContain(HELD);
      expect(said).toContain('Pending with the supplier');
      expect(said).not.toContain('Total paid');
    }

    f.simulators.HERTZ.setFaults({ rejectionRate: 1 });
    await f.drainNow();
    await f.settle();
    const released = await whatTheCustomerGets(code);
    expect(released.json).toMatchObject({
      version: 2,
      payment_status: 'not_charged',
      supplier_status: 'released',
      supplier_note: 'The supplier could not book this car: nothing was charged, and the hold on your card was released.',
    });
    expect(released.pdf).toContain('Nothing charged (EUR) €0.00');
    expect(released.mail).toContain('Nothing charged: €0.00');
    for (const said of [released.pdf, released.mail]) {
      expect(said).toContain(NOTHING_CHARGED);
      expect(said).toContain(released.json.supplier_note!);
      expect(said).not.toContain('Amount held');
    }
  });
});
