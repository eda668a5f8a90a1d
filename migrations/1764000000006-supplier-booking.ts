import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/**
 * Supplier booking: what operators need on the reservation (attention flag, attempts, last
 * error, next retry, refund) and one row per call to a supplier.
 */
export class SupplierBooking1764000000006 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('reservations', [
      new TableColumn({ name: 'paid_at', type: 'datetime', precision: 3, isNullable: true }),
      new TableColumn({ name: 'needs_attention', type: 'boolean', default: false }),
      new TableColumn({ name: 'supplier_attempts', type: 'int', default: 0 }),
      new TableColumn({ name: 'supplier_last_error', type: 'varchar', length: '500', isNullable: true }),
      new TableColumn({ name: 'supplier_next_retry_at', type: 'datetime', precision: 3, isNullable: true }),
      new TableColumn({ name: 'refund_requested_at', type: 'datetime', precision: 3, isNullable: true }),
      new TableColumn({ name: 'refund_id', type: 'varchar', length: '255', isNullable: true }),
      new TableColumn({ name: 'refunded_amount', type: 'int', isNullable: true }),
    ]);
    // Reservations paid before this release: their last change is the best known payment time,
    // so that the money-safety check sees them too.
    await queryRunner.query(
      "UPDATE reservations SET paid_at = updated_at WHERE status IN ('PAID', 'CONFIRMED_INTERNAL', 'SUPPLIER_CONFIRMED', 'REFUNDED')",
    );
    // What operators and the money-safety check list: by status and flag.
    await queryRunner.createIndex(
      'reservations',
      new TableIndex({ name: 'IX_reservations_status_attention', columnNames: ['status', 'needs_attention'] }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'reservation_supplier_requests',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'reservation_code', type: 'varchar', length: '8' },
          { name: 'supplier_code', type: 'varchar', length: '16' },
          // The booking run (1 = BOOK_WITH_SUPPLIER, then each retry) and the call within it.
          { name: 'attempt', type: 'int' },
          { name: 'call_index', type: 'int' },
          { name: 'operation', type: 'varchar', length: '16' },
          { name: 'request_body', type: 'text', isNullable: true },
          { name: 'response_status', type: 'int', isNullable: true },
          { name: 'response_body', type: 'text', isNullable: true },
          { name: 'outcome', type: 'varchar', length: '32' },
          { name: 'error', type: 'varchar', length: '500', isNullable: true },
          { name: 'latency_ms', type: 'int' },
          { name: 'created_at', type: 'datetime', precision: 3 },
        ],
        indices: [{ name: 'IX_reservation_supplier_requests_code', columnNames: ['reservation_code', 'id'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('reservation_supplier_requests');
    await queryRunner.dropIndex('reservations', 'IX_reservations_status_attention');
    await queryRunner.dropColumns('reservations', [
      'paid_at',
      'needs_attention',
      'supplier_attempts',
      'supplier_last_error',
      'supplier_next_retry_at',
      'refund_requested_at',
      'refund_id',
      'refunded_amount',
    ]);
  }
}
