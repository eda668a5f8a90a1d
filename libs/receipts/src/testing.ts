// For scripts/receipt-sample.ts, which renders a sample receipt without the app; not for other libs.
export { ReceiptPdfRenderer } from './render/receipt-pdf.renderer';
