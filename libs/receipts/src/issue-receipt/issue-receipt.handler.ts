import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock, retryLostRaces, TransactionRunner } from '@app/core';
import { NonRetryableOutboxError, Outbox, OutboxEventHandler, OutboxHandler, OutboxMessage } from '@app/outbox';
import { Reservation, ReservationsRepository, ReservationStatus } from '@app/reservations';
import { ISSUE_RECEIPT } from '@app/supplier-booking';
import { SEND_RECEIPT_EMAIL } from '../receipt-events';
import { SupplierStatus } from '../receipt.entity';
import { ReceiptsRepository } from '../receipts.repository';
import { ComposeReceipt, ReceiptComposer } from './receipt-composer';

export type IssueOutcome = 'issued' | 'up_to_date' | 'not_confirmed';

/**
 * Issues the receipt a reservation is due: version 1 when it reaches CONFIRMED_INTERNAL or
 * SUPPLIER_CONFIRMED, and a new version when the supplier's confirmation arrives after a
 * receipt that said "pending". A repeated run finds the version issued; a concurrent one loses
 * the unique (reservation, version) key, reloads and decides again (it may be due the next
 * version). The e-mail of each version is enqueued in the same transaction.
 */
@Injectable()
export class IssueReceiptHandler {
  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly receipts: ReceiptsRepository,
    private readonly composer: ReceiptComposer,
    private readonly transactions: TransactionRunner,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
  ) {}

  async execute(reservationCode: string): Promise<IssueOutcome> {
    const compose = await this.composer.prepare();
    return retryLostRaces.execute(() =>
      this.transactions.run(async (manager) => {
        const reservation = await this.reservations.findByCode(reservationCode, manager);
        if (!reservation) throw new NonRetryableOutboxError(`no reservation ${reservationCode}`);
        const status = supplierStatusOf(reservation);
        if (!status) return 'not_confirmed';
        const latest = await this.receipts.latestFor(reservationCode, manager);
        if (latest && (latest.supplierStatus === 'confirmed' || latest.supplierStatus === status)) return 'up_to_date';
        await this.issue(manager, reservation, compose, status, (latest?.version ?? 0) + 1);
        return 'issued';
      }),
    );
  }

  /** The receipt and its e-mail, in the caller's transaction. */
  private async issue(manager: EntityManager, reservation: Reservation, compose: ComposeReceipt, status: SupplierStatus, version: number): Promise<void> {
    const issuedAt = this.clock.now();
    const number = await this.receipts.insertVersion(manager, { reservationCode: reservation.code, version, status, issuedAt }, (heading) =>
      compose(reservation, heading),
    );
    await this.outbox.enqueue(manager, {
      type: SEND_RECEIPT_EMAIL,
      aggregateType: 'receipt',
      aggregateId: number,
      payload: { receiptNumber: number },
    });
  }
}

/** ISSUE_RECEIPT, enqueued by supplier booking on entering a confirmed state. */
@Injectable()
@OutboxHandler(ISSUE_RECEIPT, { lane: 'receipts', concurrency: 2, background: true })
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
