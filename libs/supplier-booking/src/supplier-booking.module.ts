import { Module } from '@nestjs/common';
import { AuditModule, backgroundConfig } from '@app/core';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OutboxModule } from '@app/outbox';
import { paymentsConfig, PaymentsModule } from '@app/payments';
import { ReservationsPersistenceModule } from '@app/reservations';
import { BookWithSupplierHandler } from './book-with-supplier/book-with-supplier.handler';
import {
  BookWithSupplierOutboxHandler,
  CheckSupplierAfterRefundOutboxHandler,
  RetrySupplierBookingOutboxHandler,
} from './book-with-supplier/booking.outbox-handlers';
import { HoldDeadlineJob } from './capture/hold-deadline.job';
import { CapturePaymentHandler, CapturePaymentOutboxHandler, ReleaseHoldOutboxHandler } from './capture/hold.handlers';
import { PaymentChangedAtStripeOutboxHandler } from './stripe-changes/payment-changed-at-stripe.outbox-handler';
import { MoneySafetyCheck } from './money-safety/money-safety.check';
import { MoneySafetyController } from './money-safety/money-safety.controller';
import { RefundReservationController } from './refund/refund-reservation.controller';
import { RefundReservationHandler } from './refund/refund-reservation.handler';
import { SettleRefundOutboxHandler } from './refund/settle-refund.outbox-handler';
import { StripeRefunds } from './refund/stripe-refunds';
import { RetrySupplierBookingNowController } from './retry-supplier-booking/retry-supplier-booking-now.controller';
import { RetrySupplierBookingNowHandler } from './retry-supplier-booking/retry-supplier-booking-now.handler';
import { SupplierBookingClient } from './supplier-booking.client';
import { SupplierCircuitsController } from './supplier-circuits.controller';
import { SupplierRequestsRepository } from './supplier-requests.repository';
import { SupplierGatewayRegistry } from './adapters/supplier-gateway.registry';
import { SupplierMetrics } from './supplier.metrics';
import { ReservationSupplierRequest } from './supplier-request.entity';
import { suppliersConfig, SuppliersConfig } from './suppliers.config';

/** Supplier booking (SPEC §6): the booking runs, their retries, and the operators' tools. */
@Module({
  imports: [
    AuditModule,
    ConfigModule.forFeature(suppliersConfig),
    ConfigModule.forFeature(backgroundConfig),
    ConfigModule.forFeature(paymentsConfig),
    TypeOrmModule.forFeature([ReservationSupplierRequest]),
    OutboxModule,
    PaymentsModule,
    ReservationsPersistenceModule,
  ],
  // In this order, the order of their routes in the OpenAPI document.
  controllers: [
    RetrySupplierBookingNowController,
    RefundReservationController,
    MoneySafetyController,
    SupplierCircuitsController,
  ],
  providers: [
    { provide: SupplierGatewayRegistry, inject: [suppliersConfig.KEY], useFactory: (config: SuppliersConfig) => new SupplierGatewayRegistry(config) },
    SupplierMetrics,
    {
      provide: SupplierBookingClient,
      inject: [SupplierGatewayRegistry, suppliersConfig.KEY, SupplierMetrics],
      useFactory: (gateways: SupplierGatewayRegistry, config: SuppliersConfig, metrics: SupplierMetrics) => {
        const settings = { timeoutMs: config.timeoutMs, breaker: config.breaker, inCallRetries: 2 };
        const client = new SupplierBookingClient(gateways, settings, (supplier, call) => metrics.observeCall(supplier, call));
        metrics.watchCircuits(() => client.circuitStates());
        return client;
      },
    },
    SupplierRequestsRepository,
    BookWithSupplierHandler,
    BookWithSupplierOutboxHandler,
    RetrySupplierBookingOutboxHandler,
    CheckSupplierAfterRefundOutboxHandler,
    RetrySupplierBookingNowHandler,
    StripeRefunds,
    RefundReservationHandler,
    SettleRefundOutboxHandler,
    CapturePaymentHandler,
    CapturePaymentOutboxHandler,
    ReleaseHoldOutboxHandler,
    HoldDeadlineJob,
    PaymentChangedAtStripeOutboxHandler,
    MoneySafetyCheck,
  ],
  exports: [HoldDeadlineJob, BookWithSupplierHandler, RetrySupplierBookingNowHandler, RefundReservationHandler, MoneySafetyCheck, SupplierBookingClient],
})
export class SupplierBookingModule {}
