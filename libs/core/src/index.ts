export { ADMIN_ACTOR, AdminOnly, OperatorActor } from './admin/admin.guard';
export { Audited, AuditEntry, AuditListCommand, AuditLog, AuditModule, AuditRetentionJob, cliActor } from './audit';
export { CLI_ACTOR, positiveInt, printJson } from './cli/command-line';
export {
  configModule,
  CONFIGURATION_ERROR_EXIT_CODE,
  databaseConfig,
  httpConfig,
  InvalidEnvironmentError,
  parseEnvironment,
} from './config';
export type { DatabaseConfig, HttpConfig } from './config';
export {
  buildDataSourceOptions,
  ChangedConcurrentlyError,
  DatabaseModule,
  EntitySql,
  isLostRace,
  retryLostRaces,
  TransactionRunner,
} from './database';
export {
  BadRequestError,
  ConflictError,
  DomainError,
  isUniqueViolation,
  NotFoundError,
  ProblemDetails,
  RuleViolationError,
  UpstreamFailedError,
} from './errors';
export { HealthModule } from './health/health.module';
export { ReadinessChecks } from './health/readiness-checks';
export { CheckedBy, codePointLength, configureApp, createValidationPipe, cursorPage, CursorPageQuery, DEFAULT_PAGE_LIMIT, listen, LISTEN_BACKLOG, MaxCodePoints, type RequestCheck, refuseUnknownFields } from './http';
export {
  fingerprint,
  IDEMPOTENCY_HEADER,
  IdempotencyClaim,
  IdempotencyCleanupJob,
  IdempotencyFingerprint,
  IdempotencyKeyClaim,
  IdempotencyKey,
  IdempotencyKeyReusedError,
  IdempotencyModule,
  Idempotent,
} from './idempotency';
export type { IdempotentOptions, StoredResponse } from './idempotency';
export { LoggingModule } from './logging/logging.module';
export { LATENCY_BUCKETS, Metrics, MetricsModule } from './metrics';
export { RateLimit, RateLimitModule } from './rate-limit';
export { backgroundConfig, registerInterval } from './schedule';
export type { BackgroundConfig } from './schedule';
export { Clock } from './time/clock';
export { currentTraceContext, inSpan, linkActiveSpanTo, SpanKind, untraced } from './tracing/trace-context';
export type { SpanOptions } from './tracing/trace-context';
export { CoreModule } from './core.module';
