export * from './apply-payment-outcome/apply-payment-outcome.handler';
export * from './expire-unpaid/expire-unpaid-reservations.job';
export * from './payment-events';
export * from './payment-gateway';
export * from './payments.config';
export * from './payments.module';
export * from './reconcile/reconcile-payments.job';
export * from './start-payment/start-payment.handler';
