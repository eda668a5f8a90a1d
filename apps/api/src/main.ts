// Tracing starts before anything else is loaded (docs/observability.md).
import './instrument';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigService } from '@nestjs/config';
import { NestExpressApplication } from '@nestjs/platform-express';
import {
  configureApp,
  CONFIGURATION_ERROR_EXIT_CODE,
  DatabaseConfig,
  HttpConfig,
  InvalidEnvironmentError,
  listen,
  parseEnvironment,
} from '@app/core';
import cluster from 'node:cluster';
import { AppModule } from './app.module';
import { runCluster } from './cluster';

async function bootstrap(): Promise<void> {
  // Checked before Nest starts, so that a bad variable is one clear line, not a stack dump.
  const env = parseEnvironment();
  const workers = env.WEB_CONCURRENCY ?? 1;
  if (workers > 1 && !env.DATABASE_URL?.match(/^(mysql|mariadb):/)) {
    throw new InvalidEnvironmentError('Invalid configuration:\n  WEB_CONCURRENCY > 1 needs MySQL: the embedded SQLite database has a single writer.');
  }
  if (workers > 1 && cluster.isPrimary) return runCluster(workers);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), {
    bufferLogs: true,
    rawBody: true,
    // Let `bootstrap().catch` report a start-up failure in one line instead of a stack dump:
    // Nest logs what failed (with its stack) into the buffer, which is printed only when the
    // failure is not a configuration error.
    abortOnError: false,
    autoFlushLogs: false,
  });
  configureApp(app);
  app.flushLogs();
  const config = app.get(ConfigService);
  const http = config.getOrThrow<HttpConfig>('http');
  const database = config.getOrThrow<DatabaseConfig>('database');
  await listen(app, http.port, http.host);

  const base = `http://localhost:${http.port}`;
  new Logger('Bootstrap').log({
    msg: `Reservations API listening on ${base}; Swagger UI at ${base}/docs`,
    database: database.embedded ? `embedded SQLite (${database.url.replace(/^sqlite:/, '')})` : 'MySQL',
    docs: `${base}/docs`,
  });
}

bootstrap().catch((error: unknown) => {
  // The logger may not exist yet (bad configuration): write one plain message and exit non-zero.
  const configuration = error instanceof InvalidEnvironmentError;
  if (!configuration) Logger.flush();
  process.stderr.write(`Reservations API failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(configuration ? CONFIGURATION_ERROR_EXIT_CODE : 1);
});
