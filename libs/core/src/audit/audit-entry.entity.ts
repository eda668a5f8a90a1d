import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One read of a reservation's personal data, or one operator action: who, from where, what,
 * on which resource, when, with which request. Never the data itself.
 */
@Entity({ name: 'audit_log' })
@Index('IX_audit_log_resource', ['resourceId', 'id'])
@Index('IX_audit_log_occurred_at', ['occurredAt'])
export class AuditEntry {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'occurred_at', type: 'datetime', precision: 3 })
  occurredAt!: Date;

  /** `customer` (the code and e-mail were given), `admin:<X-Operator>`, or `cli:<user>`. */
  @Column({ type: 'varchar', length: 100 })
  actor!: string;

  @Column({ name: 'client_ip', type: 'varchar', length: 45, nullable: true })
  clientIp!: string | null;

  /** `reservation.read`, `receipt.read`, `admin.reservations.list`, `admin.reservation.refund`, … */
  @Column({ type: 'varchar', length: 64 })
  action!: string;

  /** Usually a reservation code (as asked, upper-cased); an outbox event id for a requeue. */
  @Column({ name: 'resource_id', type: 'varchar', length: 64, nullable: true })
  resourceId!: string | null;

  /** `ok`, or the error code the request ended with (`RESERVATION.NOT_FOUND`, …). */
  @Column({ type: 'varchar', length: 64 })
  outcome!: string;

  @Column({ name: 'request_id', type: 'varchar', length: 100, nullable: true })
  requestId!: string | null;
}
