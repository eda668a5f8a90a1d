import { Inject, Injectable } from '@nestjs/common';
import { CatalogRepository, CatalogSnapshot } from '@app/catalog';
import { Reservation, ReservationStatus } from '@app/reservations';
import { PaymentStatus, ReceiptContent, ReceiptHeading } from '../receipt.entity';
import { receiptsConfig, ReceiptsConfig } from '../receipts.config';
import { formatMoney, ReleaseReason, supplierNote } from '../render/receipt-wording';

/** Writes a receipt's content from the reservation, the catalog read beforehand and the issuer. */
export type ComposeReceipt = (reservation: Reservation, heading: ReceiptHeading) => ReceiptContent;

/** What a receipt says: the reservation in the customer's words, with the names the catalog gives. */
@Injectable()
export class ReceiptComposer {
  constructor(
    private readonly catalog: CatalogRepository,
    @Inject(receiptsConfig.KEY) private readonly config: ReceiptsConfig,
  ) {}

  /**
   * Reads the catalog, then composes without the database. Call it before the transaction: a
   * cache miss inside one would wait for a second pool connection while holding the first, and
   * enough concurrent issuers deadlock the pool.
   */
  async prepare(): Promise<ComposeReceipt> {
    const catalog = await this.catalog.snapshot();
    return (reservation, heading) => this.compose(catalog, reservation, heading);
  }

  private compose(catalog: CatalogSnapshot, reservation: Reservation, heading: ReceiptHeading): ReceiptContent {
    const { company } = this.config;
    const { status } = heading;
    const place = (officeCode: string, at: string, timeZone: string) => {
      const office = catalog.office(reservation.supplierCode, officeCode);
      return { office_code: officeCode, office_name: office?.name ?? officeCode, city: office?.city ?? '', at, time_zone: timeZone };
    };
    return {
      number: heading.number,
      version: heading.version,
      issued_at: heading.issuedAt.toISOString(),
      issuer: { name: company.name, address: company.address, support_email: company.supportEmail },
      reservation_code: reservation.code,
      customer: { first_name: reservation.customerFirstName, last_name: reservation.customerLastName, email: reservation.customerEmail },
      supplier: { code: reservation.supplierCode, name: catalog.supplier(reservation.supplierCode)?.name ?? reservation.supplierCode },
      pickup: place(reservation.pickupOfficeCode, reservation.pickupLocal, reservation.pickupTimeZone),
      dropoff: place(reservation.dropoffOfficeCode, reservation.dropoffLocal, reservation.dropoffTimeZone),
      car_category: {
        code: reservation.carCategoryCode,
        description: catalog.carCategory(reservation.carCategoryCode)?.description ?? reservation.carCategoryCode,
      },
      price: { amount: reservation.amount, currency: reservation.currency, formatted: formatMoney(reservation.amount, reservation.currency) },
      payment_reference: reservation.paymentIntentId,
      payment_status: paymentStatusFor(reservation),
      supplier_status: status,
      supplier_confirmation: status === 'confirmed' ? reservation.supplierConfirmation : null,
      supplier_note: supplierNote(status, status === 'released' ? releaseReasonOf(reservation) : null),
    };
  }
}

/** A released hold took nothing; a hold not yet captured is only held; anything else was charged. */
export function paymentStatusFor(reservation: Reservation): PaymentStatus {
  if (reservation.status === ReservationStatus.RELEASED) return 'not_charged';
  return reservation.held ? 'held' : 'charged';
}

/**
 * Why a RELEASED reservation's hold went. The supplier's refusal is recorded (`supplierRejectedAt`).
 * A hold Stripe cancelled (expired at the bank, or cancelled there) is released in the same step
 * that records its cancellation, so both have one time; our own release (the deadline policy, a
 * capture refused before booking) cancels the intent afterwards, if at all.
 */
export function releaseReasonOf(reservation: Reservation): ReleaseReason {
  if (reservation.supplierRejectedAt) return 'supplier_refused';
  const canceledAt = reservation.paymentIntentCanceledAt?.getTime();
  if (canceledAt !== undefined && reservation.releasedAt && canceledAt <= reservation.releasedAt.getTime()) return 'hold_ended';
  return 'not_confirmed_in_time';
}
