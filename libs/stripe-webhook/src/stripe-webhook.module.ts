import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PaymentsModule, stripeConfig } from '@app/payments';
import { ReceiveStripeEventController } from './receive-stripe-event/receive-stripe-event.controller';
import { ReceiveStripeEventHandler } from './receive-stripe-event/receive-stripe-event.handler';
import { StripeWebhookEvent } from './stripe-webhook-event.entity';
import { StripeWebhookEventsRepository } from './stripe-webhook-events.repository';
import { StripeWebhookMetrics } from './stripe-webhook.metrics';

/** Stripe's webhooks: verified, recorded once, applied exactly once. */
@Module({
  imports: [ConfigModule.forFeature(stripeConfig), TypeOrmModule.forFeature([StripeWebhookEvent]), PaymentsModule],
  controllers: [ReceiveStripeEventController],
  providers: [ReceiveStripeEventHandler, StripeWebhookEventsRepository, StripeWebhookMetrics],
})
export class StripeWebhookModule {}
