import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli.module';

/** A failed command prints its reason on stderr and exits non-zero, so scripts can tell. */
function fail(error: unknown): never {
  // commander has already printed its own usage errors (and reports `--help` with exit code 0).
  const { code, exitCode } = error as { code?: string; exitCode?: number };
  if (code?.startsWith('commander.')) process.exit(exitCode ?? 1);
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  // Operators' commands inspect and requeue; draining is the servers' job.
  process.env.OUTBOX_ENABLED = 'false';
  await CommandFactory.run(CliModule, {
    logger: ['warn', 'error'],
    errorHandler: fail,
    serviceErrorHandler: fail,
  });
}

main().catch(fail);
