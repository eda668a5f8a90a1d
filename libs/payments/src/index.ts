export { ApplyChargeChangeHandler } from './apply-charge-change/apply-charge-change.handler';
export type { ApplyChargeChange, ChargeChange } from './apply-charge-change/apply-charge-change.handler';
export { ApplyPaymentOutcomeHandler } from './apply-payment-outcome/apply-payment-outcome.handler';
export type { ApplyPaymentOutcome, ApplyResult } from './apply-payment-outcome/apply-payment-outcome.handler';
export { ExpireUnpaidReservationsJob } from './expire-unpaid/expire-unpaid-reservations.job';
export { BOOK_WITH_SUPPLIER, PAYMENT_CHANGED_AT_STRIPE } from './payment-events';
export { PaymentGateway, PaymentGatewayRejectedError, PaymentGatewayUnavailableError } from './payment-gateway';
export type {
  CreatePaymentIntent,
  PaymentIntentSnapshot,
  PaymentIntentStatus,
  RefundSnapshot,
} from './payment-gateway';
export { captureBeforeOf } from './adapters/stripe-payment.gateway';
export { paymentsConfig, STRIPE_API_VERSION, stripeConfig } from './payments.config';
export type { PaymentsConfig, StripeConfig } from './payments.config';
export { PaymentsModule } from './payments.module';
export { ReconcilePaymentsJob } from './reconcile/reconcile-payments.job';
