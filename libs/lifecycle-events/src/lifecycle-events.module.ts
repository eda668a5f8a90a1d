import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { outboxConfig, OutboxModule } from '@app/outbox';
import { ReservationStatusListener } from '@app/reservations';
import { lifecycleEventsConfig } from './lifecycle-events.config';
import { LifecycleBacklog, LifecycleEventsMetrics } from './lifecycle-events.metrics';
import { LifecycleEventsReadiness } from './lifecycle-events.readiness';
import { JetStreamLink } from './nats/jetstream-link';
import { PublishLifecycleEventHandler } from './nats/publish-lifecycle-event.handler';
import { RecordLifecycleChange } from './record-lifecycle-change';
import { SendStatusWebhookHandler } from './webhooks/send-status-webhook.handler';

/**
 * The reservation lifecycle, out (docs/events.md, docs/webhooks.md): every change of status is
 * queued in its transaction, then published to NATS JetStream and POSTed to the merchant.
 * Global, because it provides the `ReservationStatusListener` that the reservations repository
 * of every slice calls; every app that changes reservations (the API, the CLI) imports it.
 */
@Global()
@Module({
  imports: [
    ConfigModule.forFeature(lifecycleEventsConfig),
    ConfigModule.forFeature(outboxConfig),
    OutboxModule,
  ],
  providers: [
    RecordLifecycleChange,
    { provide: ReservationStatusListener, useExisting: RecordLifecycleChange },
    JetStreamLink,
    LifecycleBacklog,
    LifecycleEventsMetrics,
    LifecycleEventsReadiness,
    PublishLifecycleEventHandler,
    SendStatusWebhookHandler,
  ],
  exports: [ReservationStatusListener, JetStreamLink],
})
export class LifecycleEventsModule {}
