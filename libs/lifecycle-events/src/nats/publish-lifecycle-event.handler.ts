import { Inject, Injectable } from '@nestjs/common';
import { DependencyUnavailableError, OutboxEventHandler, OutboxHandler, OutboxMessage } from '@app/outbox';
import { EVENTS_LANE, LifecycleChange, PUBLISH_LIFECYCLE_EVENT } from '../lifecycle-change';
import { lifecycleEventsConfig, LifecycleEventsConfig } from '../lifecycle-events.config';
import { LifecycleEventsMetrics } from '../lifecycle-events.metrics';
import { cloudEventOf, subjectOf } from './cloud-event';
import { JetStreamLink } from './jetstream-link';

/**
 * Publishes one change of status to JetStream as a CloudEvent, in order per reservation (an
 * ordered lane). Idempotent: the message carries the event id as `Nats-Msg-Id`, and JetStream
 * stores a republished one only once within its duplicate window.
 */
@Injectable()
@OutboxHandler(PUBLISH_LIFECYCLE_EVENT, { lane: EVENTS_LANE, ordered: true })
export class PublishLifecycleEventHandler implements OutboxEventHandler<LifecycleChange> {
  constructor(
    private readonly link: JetStreamLink,
    private readonly metrics: LifecycleEventsMetrics,
    @Inject(lifecycleEventsConfig.KEY) private readonly config: LifecycleEventsConfig,
  ) {}

  async handle({ payload: change }: OutboxMessage<LifecycleChange>): Promise<void> {
    const nats = this.config.nats;
    if (!nats)
      throw new DependencyUnavailableError(
        60_000,
        'EVENTS_NATS_URL is not set in this process: the event waits for one that has it',
      );
    try {
      const { duplicate } = await this.link.publish(
        subjectOf(nats.subjectPrefix, change),
        JSON.stringify(cloudEventOf(change, nats.source)),
        change.id,
      );
      this.metrics.deliveries.inc({ sink: 'nats', outcome: duplicate ? 'duplicate' : 'published' });
    } catch (error) {
      this.metrics.deliveries.inc({
        sink: 'nats',
        outcome: error instanceof DependencyUnavailableError ? 'waiting' : 'failed',
      });
      throw error;
    }
  }
}
