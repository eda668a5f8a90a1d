import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, FindOptionsWhere, In, IsNull, LessThan, Not, Raw, Repository } from 'typeorm';
import { EntitySql, TransactionRunner } from '@app/core';
import { normalizeReservationCode } from './domain/reservation-code';
import { ReservationStatus } from './domain/reservation-status';
import { DISPUTE_ACTION_STATUSES, Reservation } from './reservation.entity';
import { ReservationStatusHistory } from './reservation-status-history.entity';
import { ReservationChangedConcurrentlyError } from './reservation.errors';
import { ReservationMetrics } from './reservation.metrics';
import { ReservationStatusListener } from './reservation-status-listener';

/**
 * The columns `saveChanges` does not write: the request's data (written once by the insert),
 * the reconciliation's own mark (`takeForPaymentCheck`), and the row's identity, version and
 * timestamps. Every other column of the entity is saved, a new one included.
 */
export const WRITTEN_ONCE_OR_APART: readonly (keyof Reservation & string)[] = [
  'id',
  'code',
  'idempotencyKey',
  'idempotencyFingerprint',
  'supplierCode',
  'pickupOfficeCode',
  'pickupLocal',
  'pickupTimeZone',
  'pickupAt',
  'dropoffOfficeCode',
  'dropoffLocal',
  'dropoffTimeZone',
  'dropoffAt',
  'carCategoryCode',
  'customerFirstName',
  'customerLastName',
  'customerEmail',
  'customerPhone',
  'amount',
  'currency',
  'paymentCheckedAt',
  'traceContext',
  'lockVersion',
  'createdAt',
  'updatedAt',
];

interface SaveStatement {
  sql: string;
  properties: (keyof Reservation & string)[];
}

/**
 * What the payment reconciliation looks for: CREATED without a PaymentIntent (Stripe was down
 * longer than the outbox kept trying); PAYMENT_IN_PROGRESS (its webhook may be lost); EXPIRED
 * with an intent not known to be cancelled (it was processing: it may still be paid).
 */
export type PaymentCheck = 'intent_missing' | 'outcome_awaited' | 'cancel_unconfirmed';

const PAYMENT_CHECKS: Record<PaymentCheck, FindOptionsWhere<Reservation>> = {
  intent_missing: { status: ReservationStatus.CREATED, paymentIntentId: IsNull() },
  outcome_awaited: { status: ReservationStatus.PAYMENT_IN_PROGRESS, paymentIntentId: Not(IsNull()) },
  cancel_unconfirmed: { status: ReservationStatus.EXPIRED, paymentIntentId: Not(IsNull()), paymentIntentCanceledAt: IsNull() },
};

const reservationSql = new EntitySql(Reservation);
const historySql = new EntitySql(ReservationStatusHistory);

@Injectable()
export class ReservationsRepository {
  constructor(
    @InjectRepository(Reservation) private readonly reservations: Repository<Reservation>,
    private readonly transactions: TransactionRunner,
    private readonly metrics: ReservationMetrics,
    private readonly listener: ReservationStatusListener,
  ) {}

  /** Hand-written SQL: the webhook and the booking handlers read a reservation per event. */
  findByCode(code: string, manager: EntityManager = this.reservations.manager): Promise<Reservation | null> {
    return this.selectByCode(code, manager, '');
  }

  /**
   * `findByCode` with the row locked until the caller's transaction ends (`FOR UPDATE` on MySQL;
   * the embedded SQLite has a single writer, which serialises as much): for work that must not
   * interleave with a status change, such as issuing a receipt.
   */
  findByCodeForUpdate(code: string, manager: EntityManager): Promise<Reservation | null> {
    return this.selectByCode(code, manager, manager.connection.options.type === 'better-sqlite3' ? '' : ' FOR UPDATE');
  }

  /** The reservation whose PaymentIntent this is: what a dispute names (IX_reservations_payment_intent). */
  findByPaymentIntentId(paymentIntentId: string, manager: EntityManager = this.reservations.manager): Promise<Reservation | null> {
    return this.selectOne(manager, 'paymentIntentId', paymentIntentId, '');
  }

  private selectByCode(code: string, manager: EntityManager, lock: string): Promise<Reservation | null> {
    return this.selectOne(manager, 'code', code, lock);
  }

  private async selectOne(manager: EntityManager, column: 'code' | 'paymentIntentId', value: string, lock: string): Promise<Reservation | null> {
    const rows = (await manager.query(`${reservationSql.selectAll(manager)} WHERE ${reservationSql.column(manager, column)} = ?${lock}`, [
      value,
    ])) as Record<string, unknown>[];
    return rows.length > 0 ? reservationSql.hydrate(manager, rows[0]) : null;
  }

  /**
   * The customer's lookup: code (any case) and e-mail together, or null — callers answer the
   * same 404 whichever of the two was wrong.
   */
  async findForCustomer(code: string, email: string): Promise<Reservation | null> {
    const normalized = normalizeReservationCode(code);
    const reservation = normalized ? await this.findByCode(normalized) : null;
    return reservation && reservation.belongsTo(email) ? reservation : null;
  }

  /** In one of `statuses` and created before `before`, oldest first: what the expiry sweeps. */
  findCreatedBefore(statuses: readonly ReservationStatus[], before: Date, limit: number): Promise<Reservation[]> {
    return this.reservations.find({
      where: { status: In([...statuses]), createdAt: LessThan(before) },
      order: { createdAt: 'ASC' },
      take: limit,
    });
  }

  /**
   * Up to `limit` reservations due for `check` and unchanged since `before`, least recently
   * checked first (never checked before all: NULL sorts first in ascending order on MariaDB,
   * MySQL and SQLite), each stamped `payment_checked_at = now` as it is taken. A check that
   * changes nothing leaves `updated_at` alone, so an order by `updated_at` would hand every run
   * the same oldest rows; the stamp walks all of them, across runs, restarts and processes
   * (two processes taking at the same instant may share a batch: every check is idempotent).
   */
  async takeForPaymentCheck(check: PaymentCheck, before: Date, now: Date, limit: number): Promise<Reservation[]> {
    const due = await this.reservations.find({
      where: { ...PAYMENT_CHECKS[check], updatedAt: LessThan(before) },
      order: { paymentCheckedAt: 'ASC', id: 'ASC' },
      take: limit,
    });
    if (due.length === 0) return due;
    // Not through saveChanges: a stamp is no change of state, and must not race the optimistic lock.
    await this.reservations.update({ id: In(due.map((reservation) => reservation.id)) }, { paymentCheckedAt: now });
    for (const reservation of due) reservation.paymentCheckedAt = now;
    return due;
  }

  /** Operators' listing: newest first, by status and attention flag, cursor on the id. */
  listForOperators(filter: { status?: ReservationStatus; needsAttention?: boolean }, page: { limit: number; beforeId?: number }) {
    const query = this.reservations.createQueryBuilder('r').orderBy('r.id', 'DESC').limit(page.limit);
    if (filter.status) query.andWhere('r.status = :status', { status: filter.status });
    if (filter.needsAttention !== undefined) query.andWhere('r.needsAttention = :flag', { flag: filter.needsAttention });
    if (page.beforeId !== undefined) query.andWhere('r.id < :beforeId', { beforeId: page.beforeId });
    return query.getMany();
  }

  /**
   * Money at risk, oldest payment first: paid since before `paidBefore` and neither booked with
   * the supplier nor refunded; and, whatever their age, refunded reservations the supplier
   * booked all the same (flagged: that booking must be cancelled), held ones whose capture
   * failed or was made after their release, booked ones refunded in full at Stripe, and every
   * reservation whose charge is disputed (open, or lost).
   */
  findPaidUnsettled(paidBefore: Date, limit: number): Promise<Reservation[]> {
    return this.reservations.find({
      where: [
        { status: In([ReservationStatus.PAID, ReservationStatus.CONFIRMED_INTERNAL]), paidAt: LessThan(paidBefore) },
        { status: ReservationStatus.REFUNDED, needsAttention: true },
        // Held: booked with the supplier, and Stripe refused the capture.
        { status: In([ReservationStatus.AUTHORIZED, ReservationStatus.CONFIRMED_INTERNAL]), captureLastError: Not(IsNull()) },
        // Released, and Stripe captured the payment all the same.
        { status: ReservationStatus.RELEASED, needsAttention: true },
        // Booked, and refunded in full at Stripe (the Dashboard): flagged, so the (status, needs_attention)
        // index finds the few, not every booked reservation.
        { status: ReservationStatus.SUPPLIER_CONFIRMED, needsAttention: true, refundedAmount: Raw((refunded) => `${refunded} >= amount`) },
        // A dispute open, or lost, whatever the status (IX_reservations_dispute_status).
        { disputeStatus: In(DISPUTE_ACTION_STATUSES) },
      ],
      order: { paidAt: 'ASC' },
      take: limit,
    });
  }

  /**
   * Held reservations (manual capture, not yet captured) for which no capture is decided yet,
   * the nearest deadline first (an unknown one first of all): what the hold-deadline job watches.
   */
  findHeldUndecided(limit: number): Promise<Reservation[]> {
    return this.reservations.find({
      where: {
        status: In([ReservationStatus.AUTHORIZED, ReservationStatus.CONFIRMED_INTERNAL]),
        captureMethod: 'manual',
        authorizedAt: Not(IsNull()),
        capturedAt: IsNull(),
        captureRequestedAt: IsNull(),
      },
      order: { captureBefore: 'ASC', id: 'ASC' },
      take: limit,
    });
  }

  findByIdempotencyKey(key: string): Promise<Reservation | null> {
    return this.reservations.findOneBy({ idempotencyKey: key });
  }

  history(reservationId: number, manager?: EntityManager): Promise<ReservationStatusHistory[]> {
    return (manager ?? this.reservations.manager).find(ReservationStatusHistory, {
      where: { reservationId },
      order: { id: 'ASC' },
    });
  }

  /**
   * Inserts a new reservation with its first history row, inside the caller's transaction: two
   * statements, the id from the insert's own answer (no read-back; every column is written).
   */
  async insert(manager: EntityManager, reservation: Reservation): Promise<Reservation> {
    const properties = reservationSql.statement(manager, 'insert', () => reservationSql.propertiesExcept(manager, ['id']));
    reservation.id = await reservationSql.insert(manager, Object.fromEntries(properties.map((property) => [property, reservation[property]])));
    await this.writeHistory(manager, reservation, reservation.createdAt);
    this.transactions.afterCommit(manager, () => this.metrics.created.inc({ supplier: reservation.supplierCode }));
    return reservation;
  }

  /**
   * Writes the status changes made since load, as
   * `UPDATE … WHERE id = ? AND lock_version = ?`. A writer that lost the race gets
   * `ReservationChangedConcurrentlyError` and must reload and decide again.
   */
  async saveChanges(manager: EntityManager, reservation: Reservation, now: Date): Promise<void> {
    const { sql, properties } = reservationSql.statement(manager, 'saveChanges', () => this.saveStatement(manager));
    const parameters = [
      ...properties.map((property) => reservationSql.value(manager, property, reservation[property])),
      reservationSql.value(manager, 'updatedAt', now),
      reservation.id,
      reservation.lockVersion,
    ];
    if ((await reservationSql.execute(manager, sql, parameters)) !== 1) {
      throw new ReservationChangedConcurrentlyError(reservation.code);
    }
    reservation.lockVersion += 1;
    reservation.updatedAt = now;
    await this.writeHistory(manager, reservation, now);
  }

  private saveStatement(manager: EntityManager): SaveStatement {
    const column = (property: keyof Reservation & string) => reservationSql.column(manager, property);
    const properties = reservationSql.propertiesExcept(manager, WRITTEN_ONCE_OR_APART);
    const assignments = [...properties, 'updatedAt' as const].map((property) => `${column(property)} = ?`);
    const sql =
      `UPDATE ${reservationSql.table(manager)} SET ${assignments.join(', ')}, ${column('lockVersion')} = ${column('lockVersion')} + 1 ` +
      `WHERE ${column('id')} = ? AND ${column('lockVersion')} = ?`;
    return { sql, properties };
  }

  private async writeHistory(manager: EntityManager, reservation: Reservation, at: Date): Promise<void> {
    const changes = reservation.takePendingChanges();
    if (changes.length === 0) return;
    for (const change of changes) {
      const historyId = await historySql.insert(manager, {
        reservationId: reservation.id,
        fromStatus: change.from,
        toStatus: change.to,
        cause: change.cause,
        actor: change.actor,
        createdAt: at,
      });
      if (change.from !== change.to) await this.listener.statusChanged(manager, reservation, { ...change, historyId, at });
      this.transactions.afterCommit(manager, () => this.metrics.transitions.inc({ from: change.from ?? 'none', to: change.to }));
    }
  }
}
