import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MYSQL_SERVER_URL, withServerConnection } from './mysql-server';

export type DatabaseKind = 'sqlite' | 'mysql';

/** Every HTTP rule is tested on both: the embedded default and the production database. */
export const DATABASE_KINDS: DatabaseKind[] = ['sqlite', 'mysql'];

export interface TestDatabase {
  kind: DatabaseKind;
  url: string;
  drop(): Promise<void>;
}

/** A database of its own for one test file: a temporary SQLite file, or a MySQL database. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
  if (kind === 'sqlite') {
    const file = join(tmpdir(), `rsv_test_${suffix}.sqlite`);
    return {
      kind,
      url: `sqlite:${file}`,
      drop: async () => {
        for (const extra of ['', '-wal', '-shm']) rmSync(`${file}${extra}`, { force: true });
      },
    };
  }
  const name = `rsv_test_${suffix}`;
  await withServerConnection((run) => run(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`));
  return {
    kind,
    url: `${MYSQL_SERVER_URL}/${name}`,
    drop: () => withServerConnection((run) => run(`DROP DATABASE IF EXISTS \`${name}\``)).then(() => undefined),
  };
}
