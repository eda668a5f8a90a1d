export * from './idempotency-cleanup.job';
export * from './idempotency-key.entity';
export * from './idempotency.errors';
export * from './idempotency.interceptor';
export * from './idempotency.module';
export * from './idempotency.service';
