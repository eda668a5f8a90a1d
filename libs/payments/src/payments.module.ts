import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { OutboxModule } from '@app/outbox';
import { ReservationPaymentStarter, ReservationsPersistenceModule } from '@app/reservations';
import { ApplyChargeChangeHandler } from './apply-charge-change/apply-charge-change.handler';
import { ApplyPaymentOutcomeHandler } from './apply-payment-outcome/apply-payment-outcome.handler';
import { CancelPaymentIntentHandler } from './expire-unpaid/cancel-payment-intent.handler';
import { CancelPaymentIntentOutboxHandler } from './expire-unpaid/cancel-payment-intent.outbox-handler';
import { ExpireUnpaidReservationsJob } from './expire-unpaid/expire-unpaid-reservations.job';
import { PaymentGateway } from './payment-gateway';
import { PaymentJobsScheduler } from './payment-jobs.scheduler';
import { paymentsConfig, stripeConfig } from './payments.config';
import { ReconcilePaymentsJob } from './reconcile/reconcile-payments.job';
import { CreatePaymentIntentOutboxHandler } from './start-payment/create-payment-intent.outbox-handler';
import { PaymentStarter } from './start-payment/payment-starter';
import { StartPaymentHandler } from './start-payment/start-payment.handler';
import { StripePaymentGateway } from './adapters/stripe-payment.gateway';

/** Payments: the Stripe PaymentIntent of each reservation, its expiry and its reconciliation. */
@Module({
  imports: [
    ConfigModule.forFeature(stripeConfig),
    ConfigModule.forFeature(paymentsConfig),
    OutboxModule,
    ReservationsPersistenceModule,
  ],
  providers: [
    { provide: PaymentGateway, useClass: StripePaymentGateway },
    StartPaymentHandler,
    // The port the reservations slice declares for its create use case (bound by the app).
    { provide: ReservationPaymentStarter, useClass: PaymentStarter },
    ApplyPaymentOutcomeHandler,
    ApplyChargeChangeHandler,
    ExpireUnpaidReservationsJob,
    ReconcilePaymentsJob,
    PaymentJobsScheduler,
    CreatePaymentIntentOutboxHandler,
    CancelPaymentIntentHandler,
    CancelPaymentIntentOutboxHandler,
  ],
  exports: [
    PaymentGateway,
    ReservationPaymentStarter,
    ApplyPaymentOutcomeHandler,
    ApplyChargeChangeHandler,
    ExpireUnpaidReservationsJob,
    ReconcilePaymentsJob,
  ],
})
export class PaymentsModule {}
