export { ReceiveStripeEventHandler } from './receive-stripe-event/receive-stripe-event.handler';
export { StripeWebhookEvent } from './stripe-webhook-event.entity';
export { StripeWebhookModule } from './stripe-webhook.module';
