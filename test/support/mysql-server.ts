import { createConnection } from 'mysql2/promise';

export const MYSQL_SERVER_URL = (process.env.TEST_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/+$/, '');

const HOW_TO_START =
  'The MySQL/MariaDB tests need a server. Start MariaDB with\n' +
  '  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd\n' +
  'or point TEST_DATABASE_URL at a MySQL 8 / MariaDB 10.6+ server (root-like rights: the tests create and drop databases).';

/** Fails loudly, never skips, when no MySQL answers. */
export async function assertMysqlAnswers(): Promise<void> {
  try {
    const connection = await createConnection({ uri: MYSQL_SERVER_URL, connectTimeout: 3000 });
    await connection.query('SELECT 1');
    await connection.end();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`No MySQL server answers at ${MYSQL_SERVER_URL} (${reason}).\n${HOW_TO_START}`);
  }
}

export async function withServerConnection<T>(work: (run: (sql: string) => Promise<unknown>) => Promise<T>): Promise<T> {
  const connection = await createConnection({ uri: MYSQL_SERVER_URL, connectTimeout: 3000 });
  try {
    return await work((sql) => connection.query(sql));
  } finally {
    await connection.end();
  }
}
