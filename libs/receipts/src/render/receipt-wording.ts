import { DateTime } from 'luxon';
import type { PaymentStatus, ReceiptContent, ReceiptPlace, SupplierStatus } from '../receipt.entity';

/** What the PDF and the e-mail both say, worded once. */

/**
 * Why a hold was released, which its receipt says: the supplier refused the car; it did not
 * confirm before the hold's deadline (PAYMENT_CAPTURE_DEADLINE_POLICY=release, or a capture
 * refused before the booking); or the hold ended at Stripe (the bank let it expire, or it was
 * cancelled there) while the supplier had not confirmed.
 */
export type ReleaseReason = 'supplier_refused' | 'not_confirmed_in_time' | 'hold_ended';

const RELEASE_NOTES: Record<ReleaseReason, string> = {
  supplier_refused: 'The supplier could not book this car: nothing was charged, and the hold on your card was released.',
  not_confirmed_in_time: 'The supplier did not confirm the booking in time, so the hold on your card was released: nothing was charged.',
  hold_ended: 'The hold on your card ended before the supplier confirmed the booking: nothing was charged.',
};

/** What a receipt without a confirmation number says of the supplier instead. */
const SUPPLIER_NOTES = {
  pending: 'Pending with the supplier — your reservation is confirmed by us.',
  released: RELEASE_NOTES.supplier_refused,
} as const satisfies Record<Exclude<SupplierStatus, 'confirmed'>, string>;

const AMOUNT_LABELS: Record<PaymentStatus, string> = {
  charged: 'Total paid',
  held: 'Amount held',
  not_charged: 'Nothing charged',
};

export function receiptTitle(receipt: ReceiptContent): string {
  return receipt.version > 1 ? 'Updated receipt' : 'Receipt';
}

/** "Version 2 (replaces version 1)": a later version says so. */
export function versionLine(receipt: ReceiptContent): string {
  return receipt.version > 1 ? `Version ${receipt.version} (replaces version ${receipt.version - 1})` : `Version ${receipt.version}`;
}

/** The invoice line: "Car rental with Hertz: CDMR, Madrid to Barcelona, 4 days". */
export function describeRental(receipt: ReceiptContent): string {
  const route = receipt.pickup.city === receipt.dropoff.city ? `in ${receipt.pickup.city}` : `${receipt.pickup.city} to ${receipt.dropoff.city}`;
  return `Car rental with ${receipt.supplier.name}: ${receipt.car_category.code}, ${route}, ${describeStay(receipt)}`;
}

/** "22 November 2026" (UTC: the day the receipt was issued). */
export function formatIssueDate(iso: string): string {
  return DateTime.fromISO(iso, { zone: 'utc' }).setLocale('en-GB').toFormat('d LLLL yyyy');
}

/** "Mon 1 Mar 2027, 10:00 (Europe/Madrid)": the office's wall clock, with its time zone. */
export function formatLocal(place: ReceiptPlace): string {
  const local = DateTime.fromISO(place.at, { zone: place.time_zone }).setLocale('en-GB');
  return `${local.toFormat('ccc d LLL yyyy, HH:mm')} (${place.time_zone.replace(/_/g, ' ')})`;
}

/** Rental days as the counter counts them: started 24-hour periods. */
export function rentalDays(receipt: ReceiptContent): number {
  const pickup = DateTime.fromISO(receipt.pickup.at, { zone: receipt.pickup.time_zone });
  const dropoff = DateTime.fromISO(receipt.dropoff.at, { zone: receipt.dropoff.time_zone });
  return Math.max(1, Math.ceil(dropoff.diff(pickup, 'hours').hours / 24));
}

export function describeStay(receipt: ReceiptContent): string {
  const days = rentalDays(receipt);
  return `${days} ${days === 1 ? 'day' : 'days'}`;
}

/** The note frozen into a receipt the supplier has not confirmed, a released one saying why; none once confirmed. */
export function supplierNote(status: SupplierStatus, releaseReason: ReleaseReason | null = null): string | null {
  if (status === 'confirmed') return null;
  return status === 'released' && releaseReason ? RELEASE_NOTES[releaseReason] : SUPPLIER_NOTES[status];
}

/** The supplier's side: its confirmation number, our promise while it is pending, or why nothing was booked. */
export function supplierLine(receipt: ReceiptContent): string[] {
  if (receipt.supplier_status === 'confirmed') {
    return [`Confirmed by ${receipt.supplier.name}`, `Confirmation number: ${receipt.supplier_confirmation ?? 'not given'}`];
  }
  return [receipt.supplier_note ?? SUPPLIER_NOTES[receipt.supplier_status]];
}

/** A receipt's payment status; one issued before cards were held was charged. */
export function paymentStatusOf(receipt: Pick<ReceiptContent, 'payment_status'>): PaymentStatus {
  return receipt.payment_status ?? 'charged';
}

/**
 * The bottom line: "Total paid" and the amount, or "Amount held" while the card is only held.
 * A released hold took nothing, so its total is zero; `paymentNote` says what had been held.
 */
export function amountLine(receipt: ReceiptContent): [label: string, amount: string] {
  const status = paymentStatusOf(receipt);
  const amount = status === 'not_charged' ? formatMoney(0, receipt.price.currency) : receipt.price.formatted;
  return [AMOUNT_LABELS[status], amount];
}

/** Where the money stands with Stripe, with the reference our support looks it up by. */
export function paymentNote(receipt: ReceiptContent): string {
  const reference = `Payment reference: ${receipt.payment_reference ?? 'not available'}`;
  switch (paymentStatusOf(receipt)) {
    case 'charged':
      return `Paid through Stripe. ${reference}`;
    case 'held':
      return `${receipt.price.formatted} is held on your card and will be charged when the supplier confirms the booking. ${reference}`;
    case 'not_charged':
      return `Nothing was charged: the hold of ${receipt.price.formatted} on your card was released. ${reference}`;
  }
}

/** 18950 EUR → "€189.50"; the currency's own number of decimals (JPY has none). */
export function formatMoney(amount: number, currency: string): string {
  const format = new Intl.NumberFormat('en-GB', { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** digits);
}
