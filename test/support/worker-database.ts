import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@app/core';
import { MIGRATIONS } from '../../migrations';
import { MYSQL_SERVER_URL, withServerConnection } from './mysql-server';
import { workerSqliteFile, workerDatabaseName } from './run-databases';
import { DatabaseKind } from './test-database';

/**
 * The one cleaning rule: between tests every table is emptied except the migrations table and
 * the reference data the seeder loads (the catalog migration's tables). A new table is cleaned
 * without anyone listing it.
 */
export const KEPT_TABLES: ReadonlySet<string> = new Set([
  'schema_migrations',
  'suppliers',
  'offices',
  'car_categories',
  'supplier_car_categories',
  'supplier_currencies',
]);

export interface WorkerDatabase {
  kind: DatabaseKind;
  name: string;
  url: string;
}

/**
 * The database of this Jest worker, for this run and kind: `rsv_it_w<worker>_<run>`. Test files
 * run one after another in a worker, so they share it; the first one to ask creates and
 * migrates it, the others find the migrations applied (the migrations table is the marker) and
 * only open it. The global teardown drops it.
 */
export async function workerDatabase(kind: DatabaseKind): Promise<WorkerDatabase> {
  const name = workerDatabaseName(process.env.JEST_WORKER_ID ?? '1');
  let url = `sqlite:${workerSqliteFile(name)}`;
  if (kind === 'mysql') {
    await withServerConnection((run) => run(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`));
    url = `${MYSQL_SERVER_URL}/${name}`;
  }
  const dataSource = await new DataSource(buildDataSourceOptions({ url, poolSize: 1, migrations: MIGRATIONS })).initialize();
  try {
    // One worker, one file at a time: no other process migrates this database, no lock needed.
    if (await dataSource.showMigrations()) await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    await dataSource.destroy();
  }
  return { kind, name, url };
}

const tablesByDataSource = new WeakMap<DataSource, string[]>();

async function cleanedTables(dataSource: DataSource): Promise<string[]> {
  let tables = tablesByDataSource.get(dataSource);
  if (!tables) {
    const rows: { name: string }[] =
      dataSource.options.type === 'better-sqlite3'
        ? await dataSource.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        : await dataSource.query("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'");
    tables = rows.map((row) => row.name).filter((name) => !KEPT_TABLES.has(name));
    tablesByDataSource.set(dataSource, tables);
  }
  return tables;
}

/** Empties every table but the kept ones (`KEPT_TABLES`), in one transaction, foreign keys checked at the end or not at all. */
export async function cleanTables(dataSource: DataSource): Promise<void> {
  const tables = await cleanedTables(dataSource);
  const sqlite = dataSource.options.type === 'better-sqlite3';
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    // Every row that refers to another goes too, so the order does not matter; only the reference data stays.
    await runner.query(sqlite ? 'PRAGMA defer_foreign_keys = ON' : 'SET FOREIGN_KEY_CHECKS = 0');
    for (const table of tables) await runner.query(`DELETE FROM ${dataSource.driver.escape(table)}`);
    await runner.commitTransaction();
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    throw error;
  } finally {
    if (!sqlite) await runner.query('SET FOREIGN_KEY_CHECKS = 1');
    await runner.release();
  }
}
