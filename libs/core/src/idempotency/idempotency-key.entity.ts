import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type IdempotencyState = 'IN_FLIGHT' | 'COMPLETED';

/** One client request identified by (scope, key); the stored response is replayed on a retry. */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyKey {
  @PrimaryGeneratedColumn()
  id!: number;

  /** The operation the key belongs to, for example `POST /api/v1/reservations`. */
  @Column({ type: 'varchar', length: 100 })
  scope!: string;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 255 })
  key!: string;

  /** SHA-256 of the canonical request body: the same key with another body is refused. */
  @Column({ name: 'request_hash', type: 'varchar', length: 64 })
  requestHash!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: IdempotencyState;

  @Column({ name: 'response_status', type: 'int', nullable: true })
  responseStatus!: number | null;

  @Column({ name: 'response_headers', type: 'text', nullable: true })
  responseHeaders!: string | null;

  @Column({ name: 'response_body', type: 'text', nullable: true })
  responseBody!: string | null;

  /** While IN_FLIGHT, other requests with the key get 409 until this instant; then one may take over. */
  @Column({ name: 'locked_until', type: 'datetime', precision: 3 })
  lockedUntil!: Date;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;
}
