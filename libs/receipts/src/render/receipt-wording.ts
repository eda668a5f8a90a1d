import { DateTime } from 'luxon';
import type { ReceiptContent, ReceiptPlace } from '../receipt.entity';

/** What the PDF and the e-mail both say, worded once. */

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

/** The supplier's side: its confirmation number, or our promise while it is pending. */
export function supplierLine(receipt: ReceiptContent): string[] {
  if (receipt.supplier_status === 'confirmed') {
    return [`Confirmed by ${receipt.supplier.name}`, `Confirmation number: ${receipt.supplier_confirmation ?? 'not given'}`];
  }
  return [receipt.supplier_note ?? 'Pending with the supplier — your reservation is confirmed by us.'];
}
