export * from './receive-stripe-event/receive-stripe-event.handler';
export * from './stripe-webhook-event.entity';
export * from './stripe-webhook.errors';
export * from './stripe-webhook.module';
