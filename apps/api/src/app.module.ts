import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { CatalogModule } from '@app/catalog';
import {
  configModule,
  CoreModule,
  DatabaseModule,
  HealthModule,
  IdempotencyModule,
  LoggingModule,
  MetricsModule,
  RateLimitModule,
} from '@app/core';
import { LifecycleEventsModule } from '@app/lifecycle-events';
import { OutboxModule } from '@app/outbox';
import { PaymentsModule } from '@app/payments';
import { ReceiptsModule } from '@app/receipts';
import { ReservationsModule } from '@app/reservations';
import { SandboxModule } from '@app/sandbox';
import { StripeWebhookModule } from '@app/stripe-webhook';
import { SupplierBookingModule } from '@app/supplier-booking';
import { MIGRATIONS } from '../../../migrations';
import { FirstStartSeeding } from './first-start-seeding';

/** The HTTP server and its scheduled jobs: it composes the slices, it holds no logic. */
@Module({})
export class AppModule {
  static forRoot(): DynamicModule {
    return {
      module: AppModule,
      imports: [
        configModule(),
        LoggingModule,
        CoreModule,
        DatabaseModule.forRoot({ migrations: MIGRATIONS }),
        ScheduleModule.forRoot(),
        HealthModule,
        MetricsModule,
        RateLimitModule,
        IdempotencyModule,
        OutboxModule,
        CatalogModule,
        // The create use case starts the payment through a port that payments provides.
        ReservationsModule.forRoot({ payments: PaymentsModule }),
        StripeWebhookModule,
        SupplierBookingModule,
        ReceiptsModule,
        // Every change of status, out: NATS JetStream and the merchant's webhook.
        LifecycleEventsModule,
        SandboxModule.forRoot(),
      ],
      providers: [FirstStartSeeding],
    };
  }
}
