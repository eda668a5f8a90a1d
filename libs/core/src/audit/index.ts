export { AuditEntry } from './audit-entry.entity';
export { AuditListCommand } from './audit-list.command';
export { AuditLog, cliActor } from './audit-log';
export { AuditRetentionJob } from './audit-retention.job';
export { AuditModule } from './audit.module';
export { Audited } from './audited';
