import { pdfText } from '../../../../test/support/pdf-text';
import { ReceiptContent } from '../receipt.entity';
import { composeReceiptEmail } from './receipt-email';
import { ReceiptPdfRenderer } from './receipt-pdf.renderer';

const receipt = (overrides: Partial<ReceiptContent> = {}): ReceiptContent => ({
  number: 'R-2026-000042',
  version: 1,
  issued_at: '2026-11-22T10:15:00.000Z',
  issuer: { name: 'Rent Über Łódź S.A.', address: ['Rua Augusta 1', 'São Paulo'], support_email: 'help@example.com' },
  reservation_code: 'K7M2Q9XD',
  customer: { first_name: 'José', last_name: 'Pérez', email: 'jose@example.com' },
  supplier: { code: 'EUROPCAR', name: 'Europcar' },
  pickup: { office_code: 'ZRH-AP', office_name: 'Zürich Airport', city: 'Zürich', at: '2027-03-01T10:00', time_zone: 'Europe/Zurich' },
  dropoff: { office_code: 'LCJ-AP', office_name: 'Łódź Władysław Reymont Airport', city: 'Łódź', at: '2027-03-05T10:30', time_zone: 'Europe/Warsaw' },
  car_category: { code: 'CDMR', description: 'Compact, 4 doors, manual, air conditioning' },
  price: { amount: 18950, currency: 'EUR', formatted: '€189.50' },
  payment_reference: 'pi_123',
  supplier_status: 'confirmed',
  supplier_confirmation: 'EC-998877',
  supplier_note: null,
  ...overrides,
});

describe('ReceiptPdfRenderer', () => {
  const renderer = new ReceiptPdfRenderer();

  it('prints accents and currency signs with its embedded font, on one page', async () => {
    const { pages, text } = await pdfText(await renderer.render(receipt()));
    expect(pages).toBe(1);
    for (const expected of ['R-2026-000042', 'K7M2Q9XD', 'José Pérez', 'Zürich Airport', 'Łódź Władysław Reymont Airport', 'São Paulo', '€189.50', 'EC-998877', 'pi_123']) {
      expect(text).toContain(expected);
    }
    // Local times with the office's time zone; rental days counted as started 24-hour periods.
    expect(text).toContain('Mon 1 Mar 2027, 10:00 (Europe/Zurich)');
    expect(text).toContain('Fri 5 Mar 2027, 10:30 (Europe/Warsaw)');
    expect(text).toContain('5 days');
    expect(text).toContain('Car rental with Europcar: CDMR, Zürich to Łódź, 5 days');
  });

  it('prints pounds, and "pending with the supplier" instead of a confirmation number', async () => {
    const pending = receipt({
      version: 2,
      price: { amount: 24500, currency: 'GBP', formatted: '£245.00' },
      supplier_status: 'pending',
      supplier_confirmation: null,
      supplier_note: 'Pending with the supplier — your reservation is confirmed by us.',
    });
    const { text } = await pdfText(await renderer.render(pending));
    expect(text).toContain('£245.00');
    expect(text).toContain('Pending with the supplier — your reservation is confirmed by us.');
    expect(text).toContain('Version 2 (replaces version 1)');
    expect(text).not.toContain('EC-998877');
  });

  it('renders the same receipt to the same bytes', async () => {
    const [a, b] = await Promise.all([renderer.render(receipt()), renderer.render(receipt())]);
    expect(a.equals(b)).toBe(true);
  });

  it('keeps hostile text as text: wrapped in the PDF, escaped in the HTML mail', async () => {
    const hostile = receipt({ customer: { first_name: '<script>alert(1)</script>', last_name: ') Tj ET /JS (x', email: 'x@example.com' } });
    const { pages, text } = await pdfText(await renderer.render(hostile));
    expect(pages).toBe(1);
    expect(text.replace(/\s+/g, '')).toContain('<script>alert(1)</script>)TjET/JS(x');
    const mail = composeReceiptEmail(hostile);
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.text).toContain('<script>alert(1)</script>');
  });
});
