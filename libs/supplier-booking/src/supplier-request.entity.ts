import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One call to a supplier: what we sent and heard, personal data masked (SPEC §6). */
@Entity({ name: 'reservation_supplier_requests' })
@Index('IX_reservation_supplier_requests_code', ['reservationCode', 'id'])
export class ReservationSupplierRequest {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'reservation_code', type: 'varchar', length: 8 })
  reservationCode!: string;

  @Column({ name: 'supplier_code', type: 'varchar', length: 16 })
  supplierCode!: string;

  /** The booking run: 1 for BOOK_WITH_SUPPLIER, then one more for each retry. */
  @Column({ type: 'int' })
  attempt!: number;

  /** The call within the run, from 1. */
  @Column({ name: 'call_index', type: 'int' })
  callIndex!: number;

  @Column({ type: 'varchar', length: 16 })
  operation!: string;

  @Column({ name: 'request_body', type: 'text', nullable: true })
  requestBody!: string | null;

  @Column({ name: 'response_status', type: 'int', nullable: true })
  responseStatus!: number | null;

  @Column({ name: 'response_body', type: 'text', nullable: true })
  responseBody!: string | null;

  @Column({ type: 'varchar', length: 32 })
  outcome!: string;

  @Column({ type: 'varchar', length: 500, nullable: true })
  error!: string | null;

  @Column({ name: 'latency_ms', type: 'int' })
  latencyMs!: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
