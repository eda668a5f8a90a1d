import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** The transactional outbox (SPEC §5). */
export class OutboxEvents1764000000004 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'outbox_events',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'type', type: 'varchar', length: '64' },
          { name: 'aggregate_type', type: 'varchar', length: '64' },
          { name: 'aggregate_id', type: 'varchar', length: '64' },
          { name: 'payload', type: 'text' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'int' },
          { name: 'next_attempt_at', type: 'datetime', precision: 3, isNullable: true },
          { name: 'lease_owner', type: 'varchar', length: '100', isNullable: true },
          { name: 'lease_expires_at', type: 'datetime', precision: 3, isNullable: true },
          { name: 'last_error', type: 'varchar', length: '1000', isNullable: true },
          { name: 'created_at', type: 'datetime', precision: 3 },
          { name: 'updated_at', type: 'datetime', precision: 3 },
          { name: 'processed_at', type: 'datetime', precision: 3, isNullable: true },
        ],
        indices: [
          // The claim: `WHERE next_attempt_at <= now ORDER BY next_attempt_at, id … SKIP LOCKED`.
          { name: 'IX_outbox_events_due', columnNames: ['next_attempt_at', 'id'] },
          { name: 'IX_outbox_events_status_type', columnNames: ['status', 'type'] },
          { name: 'IX_outbox_events_aggregate', columnNames: ['aggregate_type', 'aggregate_id'] },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('outbox_events');
  }
}
