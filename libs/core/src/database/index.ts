export * from './data-source-options';
export * from './database.module';
export * from './transaction-runner';
export * from './entity-sql';
