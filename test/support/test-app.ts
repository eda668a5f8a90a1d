import { ModuleMetadata } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { configureApp, TransactionRunner } from '@app/core';
import { AppModule } from '../../apps/api/src/app.module';
import { createTestDatabase, DatabaseKind, TestDatabase } from './test-database';
import { cleanTables } from './worker-database';

export interface TestApp {
  app: NestExpressApplication;
  database: TestDatabase;
  dataSource: DataSource;
  /** The HTTP server for supertest. */
  server: ReturnType<NestExpressApplication['getHttpServer']>;
  /** Empties the tables a test writes, keeping the reference data (`cleanTables`). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Boots the real application (same module, same `configureApp` as `main.ts`) on a fresh
 * database of the given kind, migrated and seeded.
 */
export async function startTestApp(
  kind: DatabaseKind,
  options: { env?: Record<string, string>; databaseUrl?: string; imports?: ModuleMetadata['imports'] } = {},
): Promise<TestApp> {
  const database = await createTestDatabase(kind);
  Object.assign(process.env, {
    DATABASE_URL: options.databaseUrl ?? database.url,
    DATABASE_SEED_ON_START: 'true',
    DATABASE_MIGRATE_ON_START: 'true',
    ...options.env,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(), ...(options.imports ?? [])] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ rawBody: true, bufferLogs: true });
  configureApp(app);
  try {
    await app.init();
  } catch (error) {
    // Free the connections, or dropping the database would wait for them forever.
    await app.close().catch(() => undefined);
    throw error;
  }
  const dataSource = app.get(DataSource);
  return {
    app,
    database,
    dataSource,
    server: app.getHttpServer(),
    // Behind the app's writer mutex: on SQLite a drain that the app started (at boot, or on a
    // poll) must not be inside its transaction when the clean-up starts its own.
    reset: () => app.get(TransactionRunner).single(() => cleanTables(dataSource)),
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}
