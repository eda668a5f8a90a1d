export { IdempotencyCleanupJob } from './idempotency-cleanup.job';
export { IdempotencyKey } from './idempotency-key.entity';
export { IdempotencyKeyReusedError } from './idempotency.errors';
export { IDEMPOTENCY_HEADER, IdempotencyFingerprint, Idempotent } from './idempotency.interceptor';
export { IdempotencyModule } from './idempotency.module';
export { fingerprint } from './idempotency.service';
