export * from './audit-admin.controller';
export * from './audit-entry.entity';
export * from './audit-list.command';
export * from './audit-log';
export * from './audit-retention.job';
export * from './audit.module';
export * from './audited';
