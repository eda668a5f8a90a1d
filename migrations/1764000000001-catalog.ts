import { MigrationInterface, QueryRunner, Table, TableForeignKey } from 'typeorm';

/** Reference data: suppliers, their offices, ACRISS categories, what each supplier offers. */
export class Catalog1764000000001 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'suppliers',
        columns: [
          { name: 'code', type: 'varchar', length: '16', isPrimary: true },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'active', type: 'boolean', default: true },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'offices',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'supplier_code', type: 'varchar', length: '16' },
          { name: 'code', type: 'varchar', length: '16' },
          { name: 'name', type: 'varchar', length: '120' },
          { name: 'city', type: 'varchar', length: '80' },
          { name: 'country', type: 'varchar', length: '2' },
          { name: 'time_zone', type: 'varchar', length: '64' },
          { name: 'active', type: 'boolean', default: true },
        ],
        uniques: [{ name: 'UQ_offices_supplier_code', columnNames: ['supplier_code', 'code'] }],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_offices_supplier',
            columnNames: ['supplier_code'],
            referencedTableName: 'suppliers',
            referencedColumnNames: ['code'],
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'car_categories',
        columns: [
          { name: 'code', type: 'varchar', length: '4', isPrimary: true },
          { name: 'description', type: 'varchar', length: '120' },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'supplier_car_categories',
        columns: [
          { name: 'supplier_code', type: 'varchar', length: '16', isPrimary: true },
          { name: 'car_category_code', type: 'varchar', length: '4', isPrimary: true },
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_supplier_car_categories_supplier',
            columnNames: ['supplier_code'],
            referencedTableName: 'suppliers',
            referencedColumnNames: ['code'],
          }),
          new TableForeignKey({
            name: 'FK_supplier_car_categories_category',
            columnNames: ['car_category_code'],
            referencedTableName: 'car_categories',
            referencedColumnNames: ['code'],
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'supplier_currencies',
        columns: [
          { name: 'supplier_code', type: 'varchar', length: '16', isPrimary: true },
          { name: 'currency', type: 'varchar', length: '3', isPrimary: true },
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_supplier_currencies_supplier',
            columnNames: ['supplier_code'],
            referencedTableName: 'suppliers',
            referencedColumnNames: ['code'],
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['supplier_currencies', 'supplier_car_categories', 'car_categories', 'offices', 'suppliers']) {
      await queryRunner.dropTable(table);
    }
  }
}
