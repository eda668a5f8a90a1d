export { IdempotencyCleanupJob } from './idempotency-cleanup.job';
export { IdempotencyKey } from './idempotency-key.entity';
export { IdempotencyKeyReusedError } from './idempotency.errors';
export { IdempotencyClaim } from './idempotency-claim';
export { IDEMPOTENCY_HEADER, IdempotencyFingerprint, IdempotencyKeyClaim, Idempotent } from './idempotency.interceptor';
export type { IdempotentOptions } from './idempotency.interceptor';
export type { StoredResponse } from './idempotency.repository';
export { IdempotencyModule } from './idempotency.module';
export { fingerprint } from './idempotency.service';
