import { assertMysqlAnswers } from './mysql-server';
import { dropWorkerDatabases, newRunId } from './run-databases';

export default async function globalSetup(): Promise<void> {
  await assertMysqlAnswers();
  // The workers inherit it: their databases are this run's, never a previous one's.
  process.env.TEST_RUN_ID = newRunId();
  await dropWorkerDatabases({ leftovers: true });
}
