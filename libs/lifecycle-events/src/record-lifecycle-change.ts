import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Outbox } from '@app/outbox';
import { RecordedStatusChange, Reservation, ReservationStatusListener } from '@app/reservations';
import { lifecycleChangeOf, PUBLISH_LIFECYCLE_EVENT, SEND_STATUS_WEBHOOK } from './lifecycle-change';
import { lifecycleEventsConfig, LifecycleEventsConfig } from './lifecycle-events.config';

/**
 * Queues each change of status for every sink that is on, in the transaction of the change: the
 * event exists iff the change commits. A sink that is off queues nothing (turning it on later
 * publishes the changes from then on, not the past ones).
 */
@Injectable()
export class RecordLifecycleChange extends ReservationStatusListener {
  private readonly types: string[];

  constructor(
    private readonly outbox: Outbox,
    @Inject(lifecycleEventsConfig.KEY) config: LifecycleEventsConfig,
  ) {
    super();
    this.types = [
      ...(config.nats ? [PUBLISH_LIFECYCLE_EVENT] : []),
      ...(config.webhook ? [SEND_STATUS_WEBHOOK] : []),
    ];
  }

  async statusChanged(
    manager: EntityManager,
    reservation: Reservation,
    change: RecordedStatusChange,
  ): Promise<void> {
    if (this.types.length === 0) return;
    const payload = { ...lifecycleChangeOf(reservation, change) };
    for (const type of this.types) {
      await this.outbox.enqueue(manager, {
        type,
        aggregateType: 'reservation',
        aggregateId: reservation.code,
        payload,
      });
    }
  }
}
