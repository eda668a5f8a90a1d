import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import type { MixedList } from 'typeorm/common/MixedList';
import { databaseConfig, DatabaseConfig } from '../config';
import { buildDataSourceOptions } from './data-source-options';
import { runMigrationsLocked } from './run-migrations';
import { TransactionRunner } from './transaction-runner';

export interface DatabaseModuleOptions {
  migrations: MixedList<string | (new () => unknown)>;
}

/** The TypeORM connection of an app; the app passes the migrations it ships. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [databaseConfig.KEY],
          useFactory: (config: DatabaseConfig) => ({
            ...buildDataSourceOptions({
              url: config.url,
              poolSize: config.poolSize,
              migrations: options.migrations,
              // Read back by the factory below, which runs them under a lock.
              migrationsRun: config.migrateOnStart,
            }),
            autoLoadEntities: true,
            // Fail fast at boot: a database that does not answer is reported, not retried forever.
            retryAttempts: 2,
            retryDelay: 1000,
          }),
          // Migrations at start (DATABASE_MIGRATE_ON_START) under a lock, not TypeORM's unlocked `migrationsRun`.
          dataSourceFactory: async (dataSourceOptions?: DataSourceOptions) => {
            const dataSource = await new DataSource({ ...dataSourceOptions!, migrationsRun: false }).initialize();
            try {
              if (dataSourceOptions!.migrationsRun) await runMigrationsLocked(dataSource);
            } catch (error) {
              await dataSource.destroy();
              throw error;
            }
            return dataSource;
          },
        }),
      ],
      providers: [TransactionRunner],
      exports: [TransactionRunner],
    };
  }
}
