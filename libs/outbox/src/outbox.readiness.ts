import { Inject, Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { Clock, ReadinessChecks } from '@app/core';
import { OutboxStatus } from './outbox-event.entity';
import { outboxConfig, OutboxConfig } from './outbox.config';
import { OutboxRepository } from './outbox.repository';

/** The outbox in `GET /health/ready`: its backlog and lag, and 503 past OUTBOX_READY_MAX_LAG_SECONDS (when set). */
@Injectable()
export class OutboxReadiness {
  constructor(
    checks: ReadinessChecks,
    private readonly repository: OutboxRepository,
    private readonly clock: Clock,
    @Inject(outboxConfig.KEY) private readonly config: OutboxConfig,
  ) {
    checks.add(() => this.check());
  }

  async check(): Promise<HealthIndicatorResult> {
    const now = this.clock.now();
    const limit = this.config.readyMaxLagSeconds;
    let rows: Awaited<ReturnType<OutboxRepository['backlog']>>;
    try {
      rows = await this.repository.backlog(now);
    } catch {
      // The database check reports the outage; this one only says it could not look.
      return { outbox: { status: limit > 0 ? 'down' : 'up', readable: false } };
    }
    const due = rows.filter((row) => row.status !== OutboxStatus.DEAD);
    const oldest = due.reduce<Date | null>((min, row) => (row.oldestDue && (!min || row.oldestDue < min) ? row.oldestDue : min), null);
    const lagSeconds = oldest ? Math.max(0, Math.round((now.getTime() - oldest.getTime()) / 1000)) : 0;
    const details = {
      backlog: due.reduce((sum, row) => sum + row.count, 0),
      dead: rows.filter((row) => row.status === OutboxStatus.DEAD).reduce((sum, row) => sum + row.count, 0),
      oldest_due_age_seconds: lagSeconds,
      max_lag_seconds: limit || null,
    };
    return { outbox: { status: limit > 0 && lagSeconds > limit ? 'down' : 'up', ...details } };
  }
}
