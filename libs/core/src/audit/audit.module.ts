import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { auditConfig } from '../config';
import { AuditAdminController } from './audit-admin.controller';
import { AuditEntry } from './audit-entry.entity';
import { AuditLog } from './audit-log';
import { AuditRetentionJob } from './audit-retention.job';
import { AuditInterceptor } from './audited';

/** The audit log, for the slices that disclose personal data or act for operators. */
@Module({
  imports: [TypeOrmModule.forFeature([AuditEntry]), ConfigModule.forFeature(auditConfig)],
  controllers: [AuditAdminController],
  providers: [AuditLog, AuditInterceptor, AuditRetentionJob],
  exports: [AuditLog, AuditInterceptor],
})
export class AuditModule {}
