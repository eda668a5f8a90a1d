import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Clock, Metrics } from '@app/core';
import { Outbox, OutboxStatus } from '@app/outbox';
import { PUBLISH_LIFECYCLE_EVENT, SEND_STATUS_WEBHOOK } from './lifecycle-change';

/** The two sinks, as their metrics and readiness name them. */
export const SINK_OF_TYPE: Record<string, 'nats' | 'webhook'> = {
  [PUBLISH_LIFECYCLE_EVENT]: 'nats',
  [SEND_STATUS_WEBHOOK]: 'webhook',
};

export interface SinkBacklog {
  /** Changes not yet out: waiting for the broker or the receiver, or held behind an earlier one. */
  unpublished: number;
  /** Given up: each holds back the later changes of its reservation until an operator requeues it. */
  dead: number;
  /** Seconds since the oldest change not yet out happened (0: none). */
  oldest_unpublished_age_seconds: number;
}

/** Reads a sink's backlog from the outbox: what the metrics and `GET /health/ready` show. */
@Injectable()
export class LifecycleBacklog {
  constructor(
    private readonly outbox: Outbox,
    private readonly clock: Clock,
  ) {}

  async read(): Promise<Record<'nats' | 'webhook', SinkBacklog>> {
    const now = this.clock.now().getTime();
    const backlog = { nats: emptyBacklog(), webhook: emptyBacklog() };
    for (const row of await this.outbox.unfinished(Object.keys(SINK_OF_TYPE))) {
      const sink = backlog[SINK_OF_TYPE[row.type]];
      if (row.status === OutboxStatus.DEAD) {
        sink.dead += row.count;
        continue;
      }
      sink.unpublished += row.count;
      const age = row.oldestCreatedAt
        ? Math.max(0, Math.round((now - row.oldestCreatedAt.getTime()) / 1000))
        : 0;
      sink.oldest_unpublished_age_seconds = Math.max(sink.oldest_unpublished_age_seconds, age);
    }
    return backlog;
  }
}

function emptyBacklog(): SinkBacklog {
  return { unpublished: 0, dead: 0, oldest_unpublished_age_seconds: 0 };
}

/** Lifecycle events and status webhooks seen from Prometheus. */
@Injectable()
export class LifecycleEventsMetrics {
  /** Bounded labels: the sink (nats, webhook) and the outcome (published, duplicate, waiting, failed). */
  readonly deliveries: Counter<'sink' | 'outcome'>;

  constructor(metrics: Metrics, backlog: LifecycleBacklog) {
    this.deliveries = metrics.counter({
      name: 'lifecycle_event_deliveries_total',
      help: 'Tries to publish a status change, by sink (nats, webhook) and outcome (published, duplicate, waiting, failed)',
      labelNames: ['sink', 'outcome'],
    });
    const unpublished = metrics.gauge({
      name: 'lifecycle_events_unpublished',
      help: 'Status changes not yet published, by sink (waiting, retrying, or held behind an earlier change)',
      labelNames: ['sink'],
    });
    const dead = metrics.gauge({
      name: 'lifecycle_events_dead',
      help: 'Status changes given up (DEAD), by sink: each holds back the later changes of its reservation',
      labelNames: ['sink'],
    });
    const oldest = metrics.gauge({
      name: 'lifecycle_events_oldest_unpublished_age_seconds',
      help: 'Age of the oldest status change not yet published, by sink (0: none)',
      labelNames: ['sink'],
    });
    metrics.onScrape(async () => {
      for (const [sink, figures] of Object.entries(await backlog.read())) {
        unpublished.set({ sink }, figures.unpublished);
        dead.set({ sink }, figures.dead);
        oldest.set({ sink }, figures.oldest_unpublished_age_seconds);
      }
    });
  }
}
