import { aPendingReceiptContent, aReceiptContent } from '../testing';
import { loadReceiptFonts, renderReceiptPdf } from './receipt-pdf';
import { ReceiptPdfRenderer } from './receipt-pdf.renderer';

describe('ReceiptPdfRenderer', () => {
  const receipts = [aReceiptContent(), aPendingReceiptContent({ version: 2 })];

  it('renders in its worker threads, to the bytes the event loop would have rendered', async () => {
    const renderer = new ReceiptPdfRenderer({ pdf: { threads: 2 } });
    try {
      const fonts = loadReceiptFonts();
      const expected = await Promise.all(receipts.map((receipt) => renderReceiptPdf(receipt, fonts)));
      // More renders at once than threads: the pool queues them, each answer goes to its caller.
      const rendered = await Promise.all([...receipts, ...receipts, ...receipts].map((receipt) => renderer.render(receipt)));
      expect(renderer.renderedInThreads).toBe(6);
      rendered.forEach((pdf, index) => {
        expect(Buffer.isBuffer(pdf)).toBe(true);
        expect(pdf.equals(expected[index % 2])).toBe(true);
      });
    } finally {
      await renderer.onModuleDestroy();
    }
  });

  it('renders on the event loop with RECEIPT_PDF_THREADS=0', async () => {
    const renderer = new ReceiptPdfRenderer({ pdf: { threads: 0 } });
    const pdf = await renderer.render(receipts[0]);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(renderer.renderedInThreads).toBe(0);
  });
});
