import cluster, { Worker } from 'node:cluster';
import { CONFIGURATION_ERROR_EXIT_CODE } from '@app/core';

/**
 * Runs `workers` copies of the API on one port (Node's cluster module shares the socket).
 * The first worker, the leader, migrates, seeds and serves the sandbox (which keeps its
 * state in memory, so there must be one); the others start once it listens. A worker that
 * dies is replaced in its role, unless it refused its configuration (another would too): then
 * the cluster stops with the worker's exit status. SIGTERM reaches every worker, each of which
 * shuts down gracefully.
 */
export function runCluster(workers: number): void {
  let stopping = false;
  let leader: Worker | undefined;
  const fork = (lead: boolean): Worker => {
    const worker = cluster.fork({
      WEB_CONCURRENCY: '1',
      CLUSTER_LEADER: lead ? '1' : '0',
      ...(lead ? {} : { DATABASE_MIGRATE_ON_START: 'false', DATABASE_SEED_ON_START: 'false' }),
    });
    if (lead) leader = worker;
    return worker;
  };

  fork(true).once('listening', () => {
    for (let i = 1; i < workers; i++) fork(false);
  });
  const stopAll = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    if (code === CONFIGURATION_ERROR_EXIT_CODE) {
      // The worker has said why; the primary exits with its status once every worker is gone.
      process.exitCode = code;
      stopAll('SIGTERM');
      return;
    }
    process.stderr.write(`API worker ${worker.process.pid} exited (${code ?? signal}); starting another\n`);
    fork(worker === leader);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => stopAll(signal));
  }
}
