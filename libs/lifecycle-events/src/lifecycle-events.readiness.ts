import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { ReadinessChecks } from '@app/core';
import { LifecycleBacklog } from './lifecycle-events.metrics';
import { JetStreamLink } from './nats/jetstream-link';

/**
 * The publishing backlog in `GET /health/ready`, always `up`: a broker or a receiver that is
 * away never takes the API out of the balancer (reservations go on; the events wait).
 */
@Injectable()
export class LifecycleEventsReadiness {
  constructor(
    checks: ReadinessChecks,
    private readonly backlog: LifecycleBacklog,
    private readonly link: JetStreamLink,
  ) {
    checks.add(() => this.check());
  }

  async check(): Promise<HealthIndicatorResult> {
    const broker = this.link.state();
    let figures: Awaited<ReturnType<LifecycleBacklog['read']>> | undefined;
    try {
      figures = await this.backlog.read();
    } catch {
      // The database check reports the outage.
    }
    return {
      lifecycle_events: {
        status: 'up',
        nats: { broker, ...(figures?.nats ?? { readable: false }) },
        webhook: figures?.webhook ?? { readable: false },
      },
    };
  }
}
