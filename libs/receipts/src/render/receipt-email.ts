import { ReceiptContent } from '../receipt.entity';
import { amountLine, describeStay, formatLocal, paymentNote, receiptTitle, supplierLine } from './receipt-wording';

export interface ReceiptEmailBody {
  subject: string;
  text: string;
  html: string;
}

/** The e-mail that carries a receipt: a short summary in text and HTML, the PDF attached. */
export function composeReceiptEmail(receipt: ReceiptContent): ReceiptEmailBody {
  const title = receiptTitle(receipt);
  const subject = `${title} ${receipt.number} for your car rental ${receipt.reservation_code}`;
  const greeting = `Dear ${receipt.customer.first_name} ${receipt.customer.last_name},`;
  const intro =
    receipt.version > 1
      ? `here is the updated receipt for your reservation ${receipt.reservation_code}: it replaces the earlier version.`
      : `thank you for your reservation ${receipt.reservation_code}. Your receipt is attached as a PDF.`;
  const facts: [string, string][] = [
    ['Receipt', `${receipt.number} (version ${receipt.version})`],
    ['Pick-up', `${receipt.pickup.office_name}, ${receipt.pickup.city}: ${formatLocal(receipt.pickup)}`],
    ['Drop-off', `${receipt.dropoff.office_name}, ${receipt.dropoff.city}: ${formatLocal(receipt.dropoff)}`],
    ['Car', `${receipt.car_category.description} (${receipt.car_category.code}), ${describeStay(receipt)}`],
    ['Supplier', supplierLine(receipt).join('. ')],
    amountLine(receipt),
    ['Payment', paymentNote(receipt)],
  ];
  const closing = `Questions? Reply to ${receipt.issuer.support_email} and quote ${receipt.reservation_code}.`;

  const text = [greeting, '', intro, '', ...facts.map(([name, value]) => `${name}: ${value}`), '', closing, '', receipt.issuer.name, ''].join('\n');
  const rows = facts
    .map(([name, value]) => `<tr><th align="left" style="padding:4px 16px 4px 0;color:#616e7c">${escapeHtml(name)}</th><td style="padding:4px 0">${escapeHtml(value)}</td></tr>`)
    .join('');
  const html = [
    '<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;color:#1f2933">',
    `<h2 style="color:#0b5394">${escapeHtml(title)} ${escapeHtml(receipt.number)}</h2>`,
    `<p>${escapeHtml(greeting)}</p>`,
    `<p>${escapeHtml(intro)}</p>`,
    `<table style="border-collapse:collapse">${rows}</table>`,
    `<p>${escapeHtml(closing)}</p>`,
    `<p>${escapeHtml(receipt.issuer.name)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Customer text goes into HTML as text, never as markup. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);
}
