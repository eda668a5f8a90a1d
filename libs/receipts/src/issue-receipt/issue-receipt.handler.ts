import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock, retryLostRaces, TransactionRunner } from '@app/core';
import { NonRetryableOutboxError, Outbox, OutboxEventHandler, OutboxHandler, OutboxMessage } from '@app/outbox';
import { Reservation, ReservationsRepository, ReservationStatus } from '@app/reservations';
import { ISSUE_RECEIPT } from '@app/supplier-booking';
import { SEND_RECEIPT_EMAIL } from '../receipt-events';
import { Receipt, SupplierStatus } from '../receipt.entity';
import { paymentStatusOf } from '../render/receipt-wording';
import { ReceiptsRepository } from '../receipts.repository';
import { ComposeReceipt, paymentStatusFor, ReceiptComposer } from './receipt-composer';

export type IssueOutcome = 'issued' | 'up_to_date' | 'not_confirmed';

/**
 * Issues the receipt a reservation is due: version 1 when it reaches CONFIRMED_INTERNAL or
 * SUPPLIER_CONFIRMED, and a new version when the supplier's confirmation arrives after a
 * receipt that said "pending", when a hold is RELEASED after a receipt was issued (it then
 * says that nothing was charged; RELEASED is terminal, so that version is the last), or when a
 * receipt that said "held" was captured before the supplier booked (the deadline policy). A repeated
 * run finds the version issued; a concurrent one loses the unique (reservation, version) key,
 * reloads and decides again (it may be due the next version). The e-mail of each version is
 * enqueued in the same transaction.
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
        // Locked: a release (or a capture) committing meanwhile waits for this receipt, and its
        // own ISSUE_RECEIPT then finds it and issues the version that corrects it.
        const reservation = await this.reservations.findByCodeForUpdate(reservationCode, manager);
        if (!reservation) throw new NonRetryableOutboxError(`no reservation ${reservationCode}`);
        const status = supplierStatusOf(reservation);
        if (!status) return 'not_confirmed';
        const latest = await this.receipts.latestFor(reservationCode, manager);
        // A release only corrects a receipt the customer has: with none, nothing was promised or charged.
        if (status === 'released' && !latest) return 'not_confirmed';
        if (latest && (latest.supplierStatus === 'confirmed' || (latest.supplierStatus === status && !this.paymentChanged(latest, reservation)))) {
          return 'up_to_date';
        }
        await this.issue(manager, reservation, compose, status, (latest?.version ?? 0) + 1);
        return 'issued';
      }),
    );
  }

  /** A pending receipt that said "held" while the hold has been captured since (the deadline policy `capture`). */
  private paymentChanged(latest: Receipt, reservation: Reservation): boolean {
    return paymentStatusOf(this.receipts.contentOf(latest)) !== paymentStatusFor(reservation);
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
      // The reservation's code only names it, for the trace's attributes; the handler reads the receipt.
      payload: { receiptNumber: number, reservationCode: reservation.code },
    });
  }
}

/** ISSUE_RECEIPT, enqueued on entering a confirmed state, and on releasing a hold. */
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
  if (reservation.status === ReservationStatus.RELEASED) return 'released';
  return null;
}
