export { cloudEventOf, CLOUDEVENTS_JSON, subjectOf } from './nats/cloud-event';
export type { ReservationCloudEvent } from './nats/cloud-event';
export { JetStreamLink } from './nats/jetstream-link';
export {
  eventTypeOf,
  EVENTS_LANE,
  PUBLISH_LIFECYCLE_EVENT,
  SEND_STATUS_WEBHOOK,
  WEBHOOKS_LANE,
} from './lifecycle-change';
export type { LifecycleChange } from './lifecycle-change';
export { lifecycleEventsConfig } from './lifecycle-events.config';
export type { LifecycleEventsConfig } from './lifecycle-events.config';
export { LifecycleEventsModule } from './lifecycle-events.module';
export { statusWebhookBodyOf, verdictOf } from './webhooks/status-webhook';
export type { StatusWebhookBody } from './webhooks/status-webhook';
