import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CatalogRepository, CatalogSnapshot } from '@app/catalog';
import { Clock, isUniqueViolation, TransactionRunner } from '@app/core';
import { NonRetryableOutboxError, Outbox, OutboxEventHandler, OutboxHandler, OutboxMessage } from '@app/outbox';
import { Reservation, ReservationsRepository, ReservationStatus } from '@app/reservations';
import { ISSUE_RECEIPT } from '@app/supplier-booking';
import { SEND_RECEIPT_EMAIL } from '../receipt-events';
import { Receipt, ReceiptContent, SupplierStatus } from '../receipt.entity';
import { ReceiptMetrics } from '../receipt.metrics';
import { receiptsConfig, ReceiptsConfig } from '../receipts.config';
import { ReceiptsRepository } from '../receipts.repository';

export type IssueOutcome = 'issued' | 'up_to_date' | 'not_confirmed';

const PENDING_NOTE = 'Pending with the supplier — your reservation is confirmed by us.';

/**
 * Issues the receipt a reservation is due: version 1 when it reaches CONFIRMED_INTERNAL or
 * SUPPLIER_CONFIRMED, and a new version when the supplier's confirmation arrives after a
 * receipt that said "pending". The unique (reservation, version) key makes a concurrent or
 * repeated run a no-op; the e-mail of each version is enqueued in the same transaction.
 */
@Injectable()
export class IssueReceiptHandler {
  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly catalog: CatalogRepository,
    private readonly transactions: TransactionRunner,
    private readonly outbox: Outbox,
    private readonly receipts: ReceiptsRepository,
    private readonly metrics: ReceiptMetrics,
    private readonly clock: Clock,
    @Inject(receiptsConfig.KEY) private readonly config: ReceiptsConfig,
  ) {}

  async execute(reservationCode: string): Promise<IssueOutcome> {
    // Read before the transaction: a cache miss inside it would wait for a second pool
    // connection while holding one, and enough concurrent issuers deadlock the pool.
    const catalog = await this.catalog.snapshot();
    try {
      return await this.transactions.run(async (manager) => {
        const reservation = await this.reservations.findByCode(reservationCode, manager);
        if (!reservation) throw new NonRetryableOutboxError(`no reservation ${reservationCode}`);
        const status = supplierStatusOf(reservation);
        if (!status) return 'not_confirmed';
        const latest = await this.receipts.latestFor(reservationCode, manager);
        if (latest && (latest.supplierStatus === 'confirmed' || latest.supplierStatus === status)) return 'up_to_date';
        await this.issue(manager, reservation, catalog, status, (latest?.version ?? 0) + 1);
        return 'issued';
      });
    } catch (error) {
      // Another run issued this version first.
      if (isUniqueViolation(error)) return 'up_to_date';
      throw error;
    }
  }

  private async issue(manager: EntityManager, reservation: Reservation, catalog: CatalogSnapshot, status: SupplierStatus, version: number): Promise<void> {
    const issuedAt = this.clock.now();
    const company = this.config.company;
    const place = (officeCode: string, at: string, timeZone: string) => {
      const office = catalog.office(reservation.supplierCode, officeCode);
      return { office_code: officeCode, office_name: office?.name ?? officeCode, city: office?.city ?? '', at, time_zone: timeZone };
    };
    const { identifiers } = await manager.insert(Receipt, {
      reservationCode: reservation.code,
      version,
      // Unique until the id gives the real number, in the same transaction.
      number: `tmp-${reservation.code}-${version}`,
      supplierStatus: status,
      content: '{}',
      issuedAt,
    });
    const id = Number(identifiers[0].id);
    const number = receiptNumber(issuedAt, id);
    const content: ReceiptContent = {
      number,
      version,
      issued_at: issuedAt.toISOString(),
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
      supplier_status: status,
      supplier_confirmation: status === 'confirmed' ? reservation.supplierConfirmation : null,
      supplier_note: status === 'pending' ? PENDING_NOTE : null,
    };
    await manager.update(Receipt, { id }, { number, content: JSON.stringify(content) });
    await this.outbox.enqueue(manager, {
      type: SEND_RECEIPT_EMAIL,
      aggregateType: 'receipt',
      aggregateId: number,
      payload: { receiptNumber: number },
    });
    this.transactions.afterCommit(manager, () => this.metrics.issued.inc({ supplier_status: status }));
  }
}

/** ISSUE_RECEIPT, enqueued by supplier booking on entering a confirmed state. */
@Injectable()
@OutboxHandler(ISSUE_RECEIPT)
export class IssueReceiptOutboxHandler implements OutboxEventHandler<{ reservationCode: string }> {
  constructor(private readonly issue: IssueReceiptHandler) {}

  // Idempotent: it issues only the version the reservation is due, unique per (reservation, version).
  async handle(message: OutboxMessage<{ reservationCode: string }>): Promise<void> {
    await this.issue.execute(message.payload.reservationCode);
  }
}

function supplierStatusOf(reservation: Reservation): SupplierStatus | null {
  if (reservation.status === ReservationStatus.SUPPLIER_CONFIRMED) return 'confirmed';
  if (reservation.status === ReservationStatus.CONFIRMED_INTERNAL) return 'pending';
  return null;
}

/** `R-2026-000123`: the year of issue and the receipt's id, for humans to read out on the phone. */
export function receiptNumber(issuedAt: Date, id: number): string {
  return `R-${issuedAt.getUTCFullYear()}-${String(id).padStart(6, '0')}`;
}

/** 18950 EUR → "€189.50"; the currency's own number of decimals (JPY has none). */
export function formatMoney(amount: number, currency: string): string {
  const format = new Intl.NumberFormat('en-GB', { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** digits);
}
