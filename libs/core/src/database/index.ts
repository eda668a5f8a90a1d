export { buildDataSourceOptions } from './data-source-options';
export { DatabaseModule } from './database.module';
export { TransactionRunner } from './transaction-runner';
export { EntitySql } from './entity-sql';
export { ChangedConcurrentlyError, isLostRace, LOST_RACE_RETRIES, retryLostRaces } from './lost-race';
