import { create as parseFont, Font } from 'fontkit';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import PDFDocument from 'pdfkit';
import type { ReceiptContent } from '../receipt.entity';
import {
  amountLine,
  describeRental,
  describeStay,
  formatIssueDate,
  formatLocal,
  paymentNote,
  receiptTitle,
  supplierLine,
  versionLine,
} from './receipt-wording';

/**
 * DejaVu Sans, shipped with the library (see `assets/fonts/LICENSE`): the 14 standard PDF fonts
 * cannot print Łódź or most currency signs. Copied next to the compiled code by `nest build`.
 */
const FONT_DIR = join(__dirname, '..', '..', 'assets', 'fonts');

const A4 = { width: 595.28, height: 841.89 };
const MARGIN = 50;
const CONTENT_WIDTH = A4.width - 2 * MARGIN;
const INK = '#1f2933';
const MUTED = '#616e7c';
const ACCENT = '#0b5394';
const RULE = '#cbd2d9';
const BAND = '#eef2f7';

type Doc = PDFKit.PDFDocument;

/** The two faces of DejaVu Sans, parsed once per thread. */
export interface ReceiptFonts {
  regular: Font;
  bold: Font;
}

// Parsing the fonts was three quarters of a render: pdfkit takes a parsed font as well as a
// file, and subsets it per document.
export function loadReceiptFonts(): ReceiptFonts {
  return { regular: loadFont('DejaVuSans.ttf'), bold: loadFont('DejaVuSans-Bold.ttf') };
}

/**
 * Renders a receipt's frozen content as a one-page A4 PDF. Same content, same bytes. Pure
 * CPU, so it runs in the worker threads of `ReceiptPdfRenderer` (its pool), not on the event
 * loop; nothing here may import Nest or the database.
 */
export function renderReceiptPdf(receipt: ReceiptContent, fonts: ReceiptFonts): Promise<Buffer> {
  const issuedAt = new Date(receipt.issued_at);
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    // Fixed metadata, so that a receipt renders to the same bytes each time it is asked for.
    info: {
      Title: `${receiptTitle(receipt)} ${receipt.number}`,
      Author: receipt.issuer.name,
      Subject: `Reservation ${receipt.reservation_code}`,
      CreationDate: issuedAt,
      ModDate: issuedAt,
    },
    // Not the default Helvetica, which pdfkit would load for nothing.
    font: fonts.regular as unknown as string,
  });
  doc.registerFont('regular', fonts.regular as unknown as string);
  doc.registerFont('bold', fonts.bold as unknown as string);

  const done = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  header(doc, receipt);
  parties(doc, receipt);
  rental(doc, receipt);
  amounts(doc, receipt);
  footer(doc, receipt);
  doc.end();
  return done;
}

function loadFont(file: string): Font {
  const font = parseFont(readFileSync(join(FONT_DIR, file)));
  if (!('layout' in font)) throw new Error(`${file} is a font collection, not a font`);
  return font;
}

function header(doc: Doc, receipt: ReceiptContent): void {
  doc.rect(0, 0, A4.width, 8).fill(ACCENT);
  doc.fillColor(INK).font('bold').fontSize(18).text(receipt.issuer.name, MARGIN, 40, { width: CONTENT_WIDTH * 0.6 });
  doc.font('regular').fontSize(9).fillColor(MUTED);
  for (const line of receipt.issuer.address) doc.text(line, { width: CONTENT_WIDTH * 0.6 });
  doc.text(receipt.issuer.support_email, { width: CONTENT_WIDTH * 0.6 });

  const right = MARGIN + CONTENT_WIDTH * 0.6;
  const width = CONTENT_WIDTH * 0.4;
  doc.fillColor(ACCENT).font('bold').fontSize(22).text('RECEIPT', right, 38, { width, align: 'right' });
  doc.fillColor(INK).font('regular').fontSize(10);
  doc.text(`No. ${receipt.number}`, right, doc.y + 4, { width, align: 'right' });
  doc.text(versionLine(receipt), { width, align: 'right' });
  doc.text(`Issued ${formatIssueDate(receipt.issued_at)}`, { width, align: 'right' });
  doc.y = Math.max(doc.y, 130);
}

function parties(doc: Doc, receipt: ReceiptContent): void {
  const top = doc.y + 10;
  const half = CONTENT_WIDTH / 2;
  doc.rect(MARGIN, top, CONTENT_WIDTH, 70).fill(BAND);
  label(doc, 'Billed to', MARGIN + 12, top + 10);
  doc.font('bold').fontSize(11).fillColor(INK);
  doc.text(`${receipt.customer.first_name} ${receipt.customer.last_name}`, MARGIN + 12, top + 24, { width: half - 24 });
  doc.font('regular').fontSize(10).text(receipt.customer.email, { width: half - 24 });

  label(doc, 'Reservation', MARGIN + half + 12, top + 10);
  doc.font('bold').fontSize(16).fillColor(INK).text(receipt.reservation_code, MARGIN + half + 12, top + 22, { width: half - 24, characterSpacing: 1.5 });
  doc.font('regular').fontSize(10).text(`with ${receipt.supplier.name}`, { width: half - 24 });
  doc.y = top + 90;
}

function rental(doc: Doc, receipt: ReceiptContent): void {
  section(doc, 'Your rental');
  row(doc, 'Pick-up', [
    `${receipt.pickup.office_name} (${receipt.pickup.office_code}), ${receipt.pickup.city}`,
    formatLocal(receipt.pickup),
  ]);
  row(doc, 'Drop-off', [
    `${receipt.dropoff.office_name} (${receipt.dropoff.office_code}), ${receipt.dropoff.city}`,
    formatLocal(receipt.dropoff),
  ]);
  row(doc, 'Car', [`${receipt.car_category.description} (ACRISS ${receipt.car_category.code}) or similar`]);
  row(doc, 'Duration', [describeStay(receipt)]);
  row(doc, 'Supplier', supplierLine(receipt), receipt.supplier_status === 'confirmed' ? INK : ACCENT);
}

function amounts(doc: Doc, receipt: ReceiptContent): void {
  section(doc, 'Payment');
  const amountX = MARGIN + CONTENT_WIDTH - 140;
  const top = doc.y;
  doc.font('bold').fontSize(9).fillColor(MUTED);
  doc.text('DESCRIPTION', MARGIN, top, { width: CONTENT_WIDTH - 150 });
  doc.text('AMOUNT', amountX, top, { width: 140, align: 'right' });
  hr(doc, doc.y + 4);

  const lineTop = doc.y + 12;
  doc.font('regular').fontSize(10).fillColor(INK);
  doc.text(describeRental(receipt), MARGIN, lineTop, { width: CONTENT_WIDTH - 150 });
  const afterDescription = doc.y;
  doc.text(receipt.price.formatted, amountX, lineTop, { width: 140, align: 'right' });
  hr(doc, Math.max(afterDescription, doc.y) + 8);

  const totalTop = doc.y + 12;
  const [total, amount] = amountLine(receipt);
  doc.font('bold').fontSize(12).text(`${total} (${receipt.price.currency})`, MARGIN, totalTop, { width: CONTENT_WIDTH - 150 });
  doc.text(amount, amountX, totalTop, { width: 140, align: 'right' });
  doc.font('regular').fontSize(9).fillColor(MUTED);
  doc.text(paymentNote(receipt), MARGIN, doc.y + 8, { width: CONTENT_WIDTH });
}

function footer(doc: Doc, receipt: ReceiptContent): void {
  const top = A4.height - MARGIN - 70;
  hr(doc, top);
  doc.font('regular').fontSize(9).fillColor(MUTED);
  const lines = [
    `Questions about this rental? Write to ${receipt.issuer.support_email} and quote reservation ${receipt.reservation_code}.`,
    'Please bring your driving licence and a credit card in your own name to the pick-up desk.',
  ];
  doc.text(lines.join('\n'), MARGIN, top + 10, { width: CONTENT_WIDTH, lineGap: 2 });
}

function section(doc: Doc, title: string): void {
  doc.moveDown(0.6);
  doc.font('bold').fontSize(12).fillColor(ACCENT).text(title, MARGIN, doc.y, { width: CONTENT_WIDTH });
  hr(doc, doc.y + 3);
  doc.y += 10;
}

function row(doc: Doc, name: string, lines: string[], color = INK): void {
  const top = doc.y;
  label(doc, name, MARGIN, top + 1);
  doc.font('regular').fontSize(10).fillColor(color);
  doc.text(lines.join('\n'), MARGIN + 90, top, { width: CONTENT_WIDTH - 90, lineGap: 1 });
  doc.y += 8;
}

function label(doc: Doc, text: string, x: number, y: number): void {
  doc.font('bold').fontSize(8).fillColor(MUTED).text(text.toUpperCase(), x, y, { characterSpacing: 0.6 });
}

function hr(doc: Doc, y: number): void {
  doc.moveTo(MARGIN, y).lineTo(MARGIN + CONTENT_WIDTH, y).lineWidth(0.7).strokeColor(RULE).stroke();
  doc.y = y;
}
