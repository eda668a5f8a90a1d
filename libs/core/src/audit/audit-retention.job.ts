import { Inject, Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { auditConfig, AuditConfig } from '../config';
import { Clock } from '../time/clock';
import { AuditLog } from './audit-log';

const BATCH = 1_000;

/** Forgets audit entries older than AUDIT_RETENTION_DAYS (365 by default), nightly, in batches. */
@Injectable()
export class AuditRetentionJob {
  private readonly logger = new Logger(AuditRetentionJob.name);

  constructor(
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    @Inject(auditConfig.KEY) private readonly config: AuditConfig,
  ) {}

  @Cron(CronExpression.EVERY_DAY_AT_3AM, { name: 'audit-retention' })
  async run(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - this.config.retentionDays * 24 * 3600 * 1000);
    let total = 0;
    for (;;) {
      const deleted = await this.audit.deleteOlderThan(before, BATCH);
      total += deleted;
      if (deleted < BATCH) break;
    }
    if (total > 0) this.logger.log({ msg: 'old audit entries deleted', deleted: total, retentionDays: this.config.retentionDays });
    return total;
  }
}
