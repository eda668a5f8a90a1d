import { dropWorkerDatabases } from './run-databases';

export default async function globalTeardown(): Promise<void> {
  const runId = process.env.TEST_RUN_ID;
  if (runId) await dropWorkerDatabases({ runId });
}
