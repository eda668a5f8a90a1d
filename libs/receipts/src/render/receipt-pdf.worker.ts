// A thread of the PDF pool (piscina): the fonts are parsed once per thread, then every task is
// one receipt rendered. Imports only the pure renderer, never Nest or the database.
import type { ReceiptContent } from '../receipt.entity';
import { loadReceiptFonts, renderReceiptPdf } from './receipt-pdf';

const fonts = loadReceiptFonts();

export default function render(receipt: ReceiptContent): Promise<Buffer> {
  return renderReceiptPdf(receipt, fonts);
}
