import { Module } from '@nestjs/common';
import { AuditModule, backgroundConfig } from '@app/core';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OutboxModule } from '@app/outbox';
import { PaymentsModule } from '@app/payments';
import { ReservationsPersistenceModule } from '@app/reservations';
import { BookWithSupplierHandler } from './book-with-supplier/book-with-supplier.handler';
import {
  BookWithSupplierOutboxHandler,
  CheckSupplierAfterRefundOutboxHandler,
  RetrySupplierBookingOutboxHandler,
} from './book-with-supplier/booking.outbox-handlers';
import { MoneySafetyCheck } from './operators/money-safety.check';
import { RefundReservationHandler } from './operators/refund-reservation.handler';
import { SettleRefundOutboxHandler } from './operators/settle-refund.outbox-handler';
import { StripeRefunds } from './operators/stripe-refunds';
import { RetrySupplierBookingNowHandler } from './operators/retry-supplier-booking-now.handler';
import { SupplierBookingAdminController } from './operators/supplier-booking-admin.controller';
import { SupplierBookingClient } from './supplier-booking.client';
import { SupplierGateways } from './supplier-gateways';
import { SupplierMetrics } from './supplier.metrics';
import { ReservationSupplierRequest } from './supplier-request.entity';
import { suppliersConfig, SuppliersConfig } from './suppliers.config';

/** Supplier booking (SPEC §6): the booking runs, their retries, and the operators' tools. */
@Module({
  imports: [
    AuditModule,
    ConfigModule.forFeature(suppliersConfig),
    ConfigModule.forFeature(backgroundConfig),
    TypeOrmModule.forFeature([ReservationSupplierRequest]),
    OutboxModule,
    PaymentsModule,
    ReservationsPersistenceModule,
  ],
  controllers: [SupplierBookingAdminController],
  providers: [
    { provide: SupplierGateways, inject: [suppliersConfig.KEY], useFactory: (config: SuppliersConfig) => new SupplierGateways(config) },
    SupplierMetrics,
    {
      provide: SupplierBookingClient,
      inject: [SupplierGateways, suppliersConfig.KEY, SupplierMetrics],
      useFactory: (gateways: SupplierGateways, config: SuppliersConfig, metrics: SupplierMetrics) => {
        const settings = { timeoutMs: config.timeoutMs, breaker: config.breaker, inCallRetries: 2 };
        const client = new SupplierBookingClient(gateways, settings, (supplier, call) => metrics.observeCall(supplier, call));
        metrics.watchCircuits(() => client.circuitStates());
        return client;
      },
    },
    BookWithSupplierHandler,
    BookWithSupplierOutboxHandler,
    RetrySupplierBookingOutboxHandler,
    CheckSupplierAfterRefundOutboxHandler,
    RetrySupplierBookingNowHandler,
    StripeRefunds,
    RefundReservationHandler,
    SettleRefundOutboxHandler,
    MoneySafetyCheck,
  ],
  exports: [BookWithSupplierHandler, RetrySupplierBookingNowHandler, RefundReservationHandler, MoneySafetyCheck, SupplierBookingClient],
})
export class SupplierBookingModule {}
