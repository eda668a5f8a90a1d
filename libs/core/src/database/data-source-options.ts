import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { MixedList } from 'typeorm/common/MixedList';

export type DatabaseKind = 'mysql' | 'sqlite';

export interface DataSourceSettings {
  url: string;
  poolSize?: number;
  migrations?: MixedList<string | (new () => unknown)>;
  migrationsRun?: boolean;
}

export function databaseKindOf(url: string): DatabaseKind {
  return url.startsWith('sqlite:') ? 'sqlite' : 'mysql';
}

/**
 * One place that turns `DATABASE_URL` into TypeORM options, shared by the app, the CLI and
 * the migration CLI (`ormconfig.ts`). `synchronize` is off everywhere: migrations own the schema.
 */
export function buildDataSourceOptions(settings: DataSourceSettings): DataSourceOptions {
  const common = {
    synchronize: false,
    migrations: settings.migrations ?? [],
    migrationsRun: settings.migrationsRun ?? false,
    migrationsTableName: 'schema_migrations',
    // TypeORM would print failed queries with their parameters (personal data) to stdout;
    // errors surface through the problem+json filter and the pino logger instead.
    logging: false,
  };
  if (databaseKindOf(settings.url) === 'sqlite') {
    const file = sqliteFileOf(settings.url);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: file,
      enableWAL: true,
      // The migrations run in one transaction on SQLite; foreign keys are enforced at run time.
      prepareDatabase: (db: { pragma(source: string): unknown }) => {
        db.pragma('foreign_keys = ON');
        db.pragma('busy_timeout = 5000');
      },
    };
  }
  return {
    ...common,
    type: 'mysql',
    url: settings.url.replace(/^mariadb:/, 'mysql:'),
    charset: 'utf8mb4_unicode_ci',
    // Every DATETIME is UTC; the driver must neither shift nor guess.
    timezone: 'Z',
    poolSize: settings.poolSize ?? 10,
    connectTimeout: 5_000,
    // `trace: false`: mysql2 would capture a stack trace on every query (6 % of the CPU of a
    // webhook, measured) to decorate the rare driver error; ours are logged with the request id.
    extra: { enableKeepAlive: true, maxIdle: settings.poolSize ?? 10, trace: false },
  };
}

/** `sqlite:var/app.sqlite`, `sqlite:///abs/path.sqlite` or `sqlite::memory:`. */
export function sqliteFileOf(url: string): string {
  const rest = url.replace(/^sqlite:(\/\/)?/, '');
  if (rest === ':memory:') return rest;
  return resolve(rest);
}
