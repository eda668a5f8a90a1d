import { MigrationInterface, QueryRunner, Table, TableForeignKey } from 'typeorm';

/** Reservations and the history of their status changes. */
export class Reservations1764000000003 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'reservations',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'code', type: 'varchar', length: '8' },
          { name: 'idempotency_key', type: 'varchar', length: '255', isNullable: true },
          { name: 'status', type: 'varchar', length: '32' },
          { name: 'supplier_code', type: 'varchar', length: '16' },
          { name: 'pickup_office_code', type: 'varchar', length: '16' },
          { name: 'pickup_local', type: 'varchar', length: '16' },
          { name: 'pickup_time_zone', type: 'varchar', length: '64' },
          { name: 'pickup_at', type: 'datetime', precision: 3 },
          { name: 'dropoff_office_code', type: 'varchar', length: '16' },
          { name: 'dropoff_local', type: 'varchar', length: '16' },
          { name: 'dropoff_time_zone', type: 'varchar', length: '64' },
          { name: 'dropoff_at', type: 'datetime', precision: 3 },
          { name: 'car_category_code', type: 'varchar', length: '4' },
          { name: 'customer_first_name', type: 'varchar', length: '100' },
          { name: 'customer_last_name', type: 'varchar', length: '100' },
          { name: 'customer_email', type: 'varchar', length: '254' },
          { name: 'customer_phone', type: 'varchar', length: '20' },
          { name: 'amount', type: 'int' },
          { name: 'currency', type: 'varchar', length: '3' },
          { name: 'payment_intent_id', type: 'varchar', length: '255', isNullable: true },
          { name: 'supplier_confirmation', type: 'varchar', length: '64', isNullable: true },
          { name: 'lock_version', type: 'int' },
          { name: 'created_at', type: 'datetime', precision: 3 },
          { name: 'updated_at', type: 'datetime', precision: 3 },
        ],
        uniques: [
          { name: 'UQ_reservations_code', columnNames: ['code'] },
          { name: 'UQ_reservations_idempotency_key', columnNames: ['idempotency_key'] },
        ],
        indices: [{ name: 'IX_reservations_status_updated_at', columnNames: ['status', 'updated_at'] }],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_reservations_supplier',
            columnNames: ['supplier_code'],
            referencedTableName: 'suppliers',
            referencedColumnNames: ['code'],
          }),
          new TableForeignKey({
            name: 'FK_reservations_pickup_office',
            columnNames: ['supplier_code', 'pickup_office_code'],
            referencedTableName: 'offices',
            referencedColumnNames: ['supplier_code', 'code'],
          }),
          new TableForeignKey({
            name: 'FK_reservations_dropoff_office',
            columnNames: ['supplier_code', 'dropoff_office_code'],
            referencedTableName: 'offices',
            referencedColumnNames: ['supplier_code', 'code'],
          }),
          new TableForeignKey({
            name: 'FK_reservations_car_category',
            columnNames: ['car_category_code'],
            referencedTableName: 'car_categories',
            referencedColumnNames: ['code'],
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'reservation_status_history',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'reservation_id', type: 'int' },
          { name: 'from_status', type: 'varchar', length: '32', isNullable: true },
          { name: 'to_status', type: 'varchar', length: '32' },
          { name: 'cause', type: 'varchar', length: '255' },
          { name: 'actor', type: 'varchar', length: '100', isNullable: true },
          { name: 'created_at', type: 'datetime', precision: 3 },
        ],
        indices: [{ name: 'IX_reservation_status_history_reservation', columnNames: ['reservation_id', 'id'] }],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_reservation_status_history_reservation',
            columnNames: ['reservation_id'],
            referencedTableName: 'reservations',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('reservation_status_history');
    await queryRunner.dropTable('reservations');
  }
}
