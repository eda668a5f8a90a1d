import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { MixedList } from 'typeorm/common/MixedList';
import { databaseConfig, DatabaseConfig } from '../config';
import { buildDataSourceOptions } from './data-source-options';
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
              migrationsRun: config.migrateOnStart,
            }),
            autoLoadEntities: true,
            // Fail fast at boot: a database that does not answer is reported, not retried forever.
            retryAttempts: 2,
            retryDelay: 1000,
          }),
        }),
      ],
      providers: [TransactionRunner],
      exports: [TransactionRunner],
    };
  }
}
