import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** The audit log: reads of personal data and operator actions (who, what, when; never the data). */
export class AuditLog1764000000009 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'audit_log',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'occurred_at', type: 'datetime', precision: 3 },
          { name: 'actor', type: 'varchar', length: '100' },
          { name: 'client_ip', type: 'varchar', length: '45', isNullable: true },
          { name: 'action', type: 'varchar', length: '64' },
          { name: 'resource_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'outcome', type: 'varchar', length: '64' },
          { name: 'request_id', type: 'varchar', length: '100', isNullable: true },
        ],
        indices: [
          // "Who read this reservation?"
          { name: 'IX_audit_log_resource', columnNames: ['resource_id', 'id'] },
          // The retention job.
          { name: 'IX_audit_log_occurred_at', columnNames: ['occurred_at'] },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_log');
  }
}
