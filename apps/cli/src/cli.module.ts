import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { CatalogModule, SeedCommand } from '@app/catalog';
import { AuditListCommand, AuditModule, configModule, CoreModule, DatabaseModule, LoggingModule } from '@app/core';
import { LifecycleEventsModule } from '@app/lifecycle-events';
import { OutboxModule } from '@app/outbox';
import { ListReservationsCommand, ReservationsPersistenceModule } from '@app/reservations';
import { MoneySafetyCommand, RefundCommand, RetryBookingCommand, SupplierBookingModule } from '@app/supplier-booking';
import { MIGRATIONS } from '../../../migrations';

/** The operators' command line: it composes the slices' commands. */
@Module({
  imports: [
    configModule(),
    LoggingModule,
    CoreModule,
    AuditModule,
    DatabaseModule.forRoot({ migrations: MIGRATIONS }),
    ScheduleModule.forRoot(),
    CatalogModule,
    OutboxModule,
    ReservationsPersistenceModule,
    SupplierBookingModule,
    // Every change of status, out: NATS JetStream and the merchant's webhook.
    LifecycleEventsModule,
  ],
  providers: [SeedCommand, ListReservationsCommand, RetryBookingCommand, RefundCommand, MoneySafetyCommand, AuditListCommand],
})
export class CliModule {}
