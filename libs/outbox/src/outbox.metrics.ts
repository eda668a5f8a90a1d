import { Injectable } from '@nestjs/common';
import { Clock, Metrics } from '@app/core';
import { OutboxStatus } from './outbox-event.entity';
import { OutboxRepository } from './outbox.repository';

/** The outbox seen from Prometheus: backlog and DEAD rows by type, and how late the oldest due event is. */
@Injectable()
export class OutboxMetrics {
  constructor(metrics: Metrics, repository: OutboxRepository, clock: Clock) {
    const backlog = metrics.gauge({ name: 'outbox_backlog_events', help: 'Outbox events due now or running, by type', labelNames: ['type'] });
    const dead = metrics.gauge({ name: 'outbox_dead_events', help: 'Outbox events that gave up (DEAD), by type', labelNames: ['type'] });
    const oldestAge = metrics.gauge({ name: 'outbox_oldest_due_age_seconds', help: 'How long the oldest due event has waited (0: none due)' });
    metrics.onScrape(async () => {
      const now = clock.now();
      const rows = await repository.backlog(now);
      backlog.reset();
      dead.reset();
      let oldest: Date | null = null;
      for (const row of rows) {
        if (row.status === OutboxStatus.DEAD) dead.inc({ type: row.type }, row.count);
        else backlog.inc({ type: row.type }, row.count);
        if (row.oldestDue && (!oldest || row.oldestDue < oldest)) oldest = row.oldestDue;
      }
      oldestAge.set(oldest ? Math.max(0, (now.getTime() - oldest.getTime()) / 1000) : 0);
    });
  }
}
