import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './libs/core/src/database/data-source-options';
import { DEFAULT_SQLITE_FILE } from './libs/core/src/config/configuration';
import { MIGRATIONS } from './migrations';

/** The DataSource of the TypeORM migration CLI (`npm run migration:run`). */
export default new DataSource(
  buildDataSourceOptions({ url: process.env.DATABASE_URL ?? `sqlite:${DEFAULT_SQLITE_FILE}`, migrations: MIGRATIONS }),
);
