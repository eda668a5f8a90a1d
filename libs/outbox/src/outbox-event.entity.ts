import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export enum OutboxStatus {
  PENDING = 'PENDING',
  PROCESSING = 'PROCESSING',
  DONE = 'DONE',
  DEAD = 'DEAD',
}

/**
 * Work that must happen because a state change committed. `next_attempt_at` is the one
 * claim predicate: when a PENDING row is due, and when a PROCESSING row's lease runs out
 * (it equals `lease_expires_at` then); DONE and DEAD rows have none, so the claim index
 * only ever holds work.
 */
@Entity({ name: 'outbox_events' })
@Index('IX_outbox_events_due', ['nextAttemptAt', 'id'])
@Index('IX_outbox_events_lane_due', ['lane', 'nextAttemptAt', 'id'])
@Index('IX_outbox_events_status_type', ['status', 'type'])
@Index('IX_outbox_events_aggregate', ['aggregateType', 'aggregateId'])
export class OutboxEvent {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 64 })
  type!: string;

  /** The lane of the type's handler (ADR 0014): what a drainer claims together. */
  @Column({ type: 'varchar', length: 32, default: 'default' })
  lane!: string;

  @Column({ name: 'aggregate_type', type: 'varchar', length: 64 })
  aggregateType!: string;

  @Column({ name: 'aggregate_id', type: 'varchar', length: 64 })
  aggregateId!: string;

  /** JSON; identifiers only, never personal data (handlers read the rest from its owner). */
  @Column({ type: 'text' })
  payload!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: OutboxStatus;

  /** How many times a drainer started this event (a crash counts too). */
  @Column({ type: 'int' })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'datetime', precision: 3, nullable: true })
  nextAttemptAt!: Date | null;

  @Column({ name: 'lease_owner', type: 'varchar', length: 100, nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_expires_at', type: 'datetime', precision: 3, nullable: true })
  leaseExpiresAt!: Date | null;

  @Column({ name: 'last_error', type: 'varchar', length: 1000, nullable: true })
  lastError!: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;

  @Column({ name: 'processed_at', type: 'datetime', precision: 3, nullable: true })
  processedAt!: Date | null;

  /**
   * The W3C trace context (JSON: `traceparent`, `tracestate`) active when the event was
   * enqueued: its handler's span continues that trace, every attempt of it. Null with tracing off.
   */
  @Column({ name: 'trace_context', type: 'varchar', length: 512, nullable: true })
  traceContext!: string | null;
}
