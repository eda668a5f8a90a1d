import { DataSource } from 'typeorm';

/** How long a process waits for another one's migrations before it gives up starting. */
const LOCK_TIMEOUT_SECONDS = 300;

/**
 * Runs the pending migrations. On MySQL/MariaDB under a named lock (`GET_LOCK`, server-wide,
 * per database), so that processes starting together on an empty database migrate one after
 * the other: the first applies them, the others find nothing pending. TypeORM takes no lock
 * of its own. SQLite is single-process by design.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<void> {
  if (dataSource.options.type === 'better-sqlite3') {
    await dataSource.runMigrations({ transaction: 'all' });
    return;
  }
  const lock = `schema_migrations:${String(dataSource.driver.database)}`.slice(0, 64);
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const [{ acquired }] = (await runner.query('SELECT GET_LOCK(?, ?) AS acquired', [lock, LOCK_TIMEOUT_SECONDS])) as { acquired: number | string | null }[];
    if (Number(acquired) !== 1) throw new Error(`Another process has been migrating this database for ${LOCK_TIMEOUT_SECONDS} s; not starting.`);
    try {
      await dataSource.runMigrations({ transaction: 'all' });
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [lock]);
    }
  } finally {
    await runner.release();
  }
}
