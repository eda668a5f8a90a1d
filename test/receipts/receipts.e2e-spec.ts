import request from 'supertest';
import { IssueReceiptHandler, Receipt, SEND_RECEIPT_EMAIL } from '@app/receipts';
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
      reservation_code: code,
      customer: { first_name: 'Ana', last_name: 'Pérez', email: 'ana@example.com' },
      supplier: { code: 'BUDGET', name: 'Budget' },
      pickup: { office_code: 'MAD-T4', office_name: expect.any(String), city: 'Madrid', at: reservation.pickupLocal, time_zone: 'Europe/Madrid' },
      dropoff: { office_code: 'BCN-T1', office_name: expect.any(String), city: 'Barcelona', at: reservation.dropoffLocal, time_zone: 'Europe/Madrid' },
      car_category: { code: 'CDMR', description: expect.stringMatching(/\w/) },
      price: { amount: 18950, currency: 'EUR', formatted: '€189.50' },
      payment_reference: reservation.paymentIntentId,
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

  it('answers 404 for a wrong e-mail, and RECEIPT.NOT_ISSUED before confirmation', async () => {
    const code = await f.reserveAndPay();
    await f.settle();
    expect((await receipt(code, 'someone@example.com').expect(404)).body.code).toBe('RESERVATION.NOT_FOUND');
    const unpaid = await f.reserve();
    expect((await receipt(unpaid.reservation_code).expect(404)).body.code).toBe('RECEIPT.NOT_ISSUED');
  });
});
