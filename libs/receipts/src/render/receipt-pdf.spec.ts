import { pdfText } from '../../../../test/support/pdf-text';
import { aHeldReceiptContent, aPendingReceiptContent, aReceiptContent, aReceiptsConfig, aReleasedReceiptContent } from '../testing';
import type { Receipt, ReceiptContent } from '../receipt.entity';
import { ReceiptsRepository } from '../receipts.repository';
import { composeReceiptEmail } from './receipt-email';
import { supplierNote } from './receipt-wording';
import { loadReceiptFonts, renderReceiptPdf } from './receipt-pdf';

describe('renderReceiptPdf', () => {
  const fonts = loadReceiptFonts();
  const renderer = { render: (receipt: ReceiptContent) => renderReceiptPdf(receipt, fonts) };

  it('prints accents and currency signs with its embedded font, on one page', async () => {
    const { pages, text } = await pdfText(await renderer.render(aReceiptContent()));
    expect(pages).toBe(1);
    const names = ['Ana María Pérez Łódź-Zürich', 'São Paulo Guarulhos Airport, Terminal 3', '€189.50'];
    for (const expected of ['R-2026-000123', 'K7M2Q9XD', ...names, 'HZ-48213377', 'pi_3QxSample0123456789']) {
      expect(text).toContain(expected);
    }
    expect(text).toContain('Car rental with Hertz: CDMR, in São Paulo, 4 days');
  });

  it("prints local times with each office's time zone; rental days counted as started 24-hour periods", async () => {
    const zurich = { office_code: 'ZRH-AP', office_name: 'Zürich Airport', city: 'Zürich' };
    const lodz = { office_code: 'LCJ-AP', office_name: 'Łódź Władysław Reymont Airport', city: 'Łódź' };
    const oneWay = aReceiptContent({
      pickup: { ...zurich, at: '2027-03-01T10:00', time_zone: 'Europe/Zurich' },
      dropoff: { ...lodz, at: '2027-03-05T10:30', time_zone: 'Europe/Warsaw' },
    });
    const { text } = await pdfText(await renderer.render(oneWay));
    expect(text).toContain('Mon 1 Mar 2027, 10:00 (Europe/Zurich)');
    expect(text).toContain('Fri 5 Mar 2027, 10:30 (Europe/Warsaw)');
    expect(text).toContain('5 days');
    expect(text).toContain('Car rental with Hertz: CDMR, Zürich to Łódź, 5 days');
  });

  it('prints pounds, and "pending with the supplier" instead of a confirmation number', async () => {
    const pending = aPendingReceiptContent({ version: 2 });
    const { text } = await pdfText(await renderer.render(pending));
    expect(text).toContain('£245.00');
    expect(text).toContain('Pending with the supplier — your reservation is confirmed by us.');
    expect(text).toContain('Version 2 (replaces version 1)');
    expect(text).not.toContain(aReceiptContent().supplier_confirmation!);
  });

  /** The PDF's text and the e-mail's, each on one line: a sentence may wrap in the PDF. */
  const whatEachSays = async (receipt: ReceiptContent) => {
    const { pages, text } = await pdfText(await renderer.render(receipt));
    const mail = composeReceiptEmail(receipt);
    return { pages, pdf: text.replace(/\s+/g, ' '), mail: mail.text.replace(/\s+/g, ' ') };
  };

  it('says "Total paid" and "Paid through Stripe" for a charged receipt', async () => {
    const { pdf, mail } = await whatEachSays(aReceiptContent());
    expect(pdf).toContain('Total paid (EUR) €189.50');
    expect(mail).toContain('Total paid: €189.50');
    for (const said of [pdf, mail]) expect(said).toContain('Paid through Stripe. Payment reference: pi_3QxSample0123456789');
  });

  it('says a held amount is held on the card until the supplier confirms, never "Total paid"', async () => {
    const { pages, pdf, mail } = await whatEachSays(aHeldReceiptContent());
    expect(pages).toBe(1);
    expect(pdf).toContain('Amount held (GBP) £245.00');
    expect(mail).toContain('Amount held: £245.00');
    for (const said of [pdf, mail]) {
      expect(said).toContain('£245.00 is held on your card and will be charged when the supplier confirms the booking.');
      expect(said).not.toContain('Total paid');
      expect(said).not.toContain('Paid through Stripe');
    }
  });

  it('says nothing was charged once the hold is released, with the amount that had been held', async () => {
    const { pages, pdf, mail } = await whatEachSays(aReleasedReceiptContent());
    expect(pages).toBe(1);
    expect(pdf).toContain('Nothing charged (GBP) £0.00');
    expect(mail).toContain('Nothing charged: £0.00');
    for (const said of [pdf, mail]) {
      expect(said).toContain('Nothing was charged: the hold of £245.00 on your card was released.');
      expect(said).toContain('The supplier could not book this car: nothing was charged, and the hold on your card was released.');
      expect(said).not.toContain('Total paid');
      expect(said).not.toContain('Amount held');
      expect(said).not.toContain('Pending with the supplier');
    }
  });

  it('says why a hold was released when the supplier never refused it: the deadline, or the hold ending at Stripe', async () => {
    for (const [reason, note] of [
      ['not_confirmed_in_time', 'The supplier did not confirm the booking in time, so the hold on your card was released: nothing was charged.'],
      ['hold_ended', 'The hold on your card ended before the supplier confirmed the booking: nothing was charged.'],
    ] as const) {
      const { pdf, mail } = await whatEachSays(aReleasedReceiptContent({ supplier_note: supplierNote('released', reason) }));
      for (const said of [pdf, mail]) {
        expect(said).toContain(note);
        expect(said).toContain('Nothing was charged: the hold of £245.00 on your card was released.');
        expect(said).not.toContain('could not book');
      }
    }
  });

  it('reads a receipt stored before payment_status existed as charged', async () => {
    const stored = aReceiptContent();
    delete stored.payment_status;
    const repository = new ReceiptsRepository(undefined as never, undefined as never, undefined as never, aReceiptsConfig());
    const served = repository.contentOf({ content: JSON.stringify(stored) } as Receipt);
    expect(served.payment_status).toBe('charged');

    // The renderers read it as charged too, whichever way the content reaches them.
    for (const receipt of [stored, served]) {
      const { pdf, mail } = await whatEachSays(receipt);
      expect(pdf).toContain('Total paid (EUR) €189.50');
      expect(mail).toContain('Total paid: €189.50');
      for (const said of [pdf, mail]) expect(said).toContain('Paid through Stripe. Payment reference: pi_3QxSample0123456789');
    }
  });

  it('renders the same receipt to the same bytes', async () => {
    const [a, b] = await Promise.all([renderer.render(aReceiptContent()), renderer.render(aReceiptContent())]);
    expect(a.equals(b)).toBe(true);
  });

  it('keeps hostile text as text: wrapped in the PDF, escaped in the HTML mail', async () => {
    const customer = { first_name: '<script>alert(1)</script>', last_name: ') Tj ET /JS (x', email: 'x@example.com' };
    const hostile = aReceiptContent({ customer });
    const { pages, text } = await pdfText(await renderer.render(hostile));
    expect(pages).toBe(1);
    expect(text.replace(/\s+/g, '')).toContain('<script>alert(1)</script>)TjET/JS(x');
    const mail = composeReceiptEmail(hostile);
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.text).toContain('<script>alert(1)</script>');
  });
});
