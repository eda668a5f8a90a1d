import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** Receipts: one row per (reservation, version), numbered for humans, with what was issued. */
export class Receipts1764000000007 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'receipts',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'reservation_code', type: 'varchar', length: '8' },
          { name: 'version', type: 'int' },
          { name: 'number', type: 'varchar', length: '32' },
          { name: 'supplier_status', type: 'varchar', length: '16' },
          // What the receipt says, as issued (JSON): a later change of the reservation does not rewrite it.
          { name: 'content', type: 'text' },
          { name: 'issued_at', type: 'datetime', precision: 3 },
        ],
        uniques: [
          // Concurrent or repeated handlers can never issue one version twice.
          { name: 'UQ_receipts_reservation_version', columnNames: ['reservation_code', 'version'] },
          { name: 'UQ_receipts_number', columnNames: ['number'] },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('receipts');
  }
}
