import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { CommandFactory } from 'nest-commander';
import { CONFIGURATION_ERROR_EXIT_CODE, InvalidEnvironmentError, parseEnvironment } from '@app/core';

/** A failed command prints its reason on stderr and exits non-zero, so scripts can tell. */
function fail(error: unknown): never {
  // commander has already printed its own usage errors (and reports `--help` with exit code 0).
  const { code, exitCode } = error as { code?: string; exitCode?: number };
  if (code?.startsWith('commander.')) process.exit(exitCode ?? 1);
  // A configuration error is one clear message; anything else also gets what Nest logged about it.
  const configuration = error instanceof InvalidEnvironmentError;
  if (!configuration) Logger.flush();
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(configuration ? CONFIGURATION_ERROR_EXIT_CODE : 1);
}

async function main(): Promise<void> {
  // Operators' commands inspect and requeue; draining is the servers' job.
  process.env.OUTBOX_ENABLED = 'false';
  // Before the module is loaded: its configuration is read as it is imported.
  parseEnvironment();
  const { CliModule } = await import('./cli.module');
  const app = await CommandFactory.createWithoutRunning(CliModule, {
    logger: ['warn', 'error'],
    errorHandler: fail,
    serviceErrorHandler: fail,
    // Start-up failures reach `fail` instead of a stack dump; the logs wait in a buffer until then.
    abortOnError: false,
    bufferLogs: true,
    autoFlushLogs: false,
  });
  app.flushLogs();
  try {
    await CommandFactory.runApplication(app);
  } finally {
    await app.close();
  }
}

main().catch(fail);
