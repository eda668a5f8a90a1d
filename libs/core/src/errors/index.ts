export * from './domain-error';
export * from './database-errors';
export * from './problem-details';
export * from './problem-details.filter';
