import { registerAs } from '@nestjs/config';
import { join } from 'node:path';
import { parseEnvironment } from './environment';

export const DEFAULT_SQLITE_FILE = join(process.cwd(), 'var', 'reservations.sqlite');

export const httpConfig = registerAs('http', () => {
  const env = parseEnvironment();
  return {
    port: env.PORT ?? 3000,
    host: env.HOST ?? '0.0.0.0',
    bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES ?? 16 * 1024,
    // Longer than any client's or load balancer's idle timeout (Node's agent: 5 s, AWS ALB:
    // 60 s), so that the client, not the server, closes an idle connection: otherwise a request
    // sent on a connection the server is closing at that instant fails with ECONNRESET.
    keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS ?? 65_000,
    /** Browser origins allowed to call the API (CORS); empty: no CORS headers at all. */
    corsOrigins: (env.CORS_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin.length > 0),
    /** Express `trust proxy`: whom to believe about the client's address and protocol. */
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
  };
});

/** `true` / `false`, a number of hops, or a list of addresses and subnets, as Express takes it. */
function parseTrustProxy(value: string | undefined): boolean | number | string[] {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',').map((entry) => entry.trim());
}

export const rateLimitConfig = registerAs('rateLimit', () => {
  const env = parseEnvironment();
  return {
    /** Per client address and minute. */
    createPerMinute: env.RATE_LIMIT_CREATE_PER_MINUTE ?? 30,
    /** Per client address and minute, over the reservation, receipt and receipt PDF lookups together. */
    lookupPerMinute: env.RATE_LIMIT_LOOKUP_PER_MINUTE ?? 120,
    /** Set: the counters live in Redis, shared by every process; unset: in each process's memory. */
    redisUrl: env.REDIS_URL,
    redisPrefix: env.RATE_LIMIT_REDIS_PREFIX ?? 'reservations:rate-limit:',
  };
});

export const databaseConfig = registerAs('database', () => {
  const env = parseEnvironment();
  const url = env.DATABASE_URL ?? `sqlite:${DEFAULT_SQLITE_FILE}`;
  const embedded = url.startsWith('sqlite:');
  return {
    url,
    embedded,
    poolSize: env.DATABASE_POOL_SIZE ?? 10,
    migrateOnStart: env.DATABASE_MIGRATE_ON_START ?? true,
    // The embedded default seeds itself so that `npm start` is useful at once; a shared
    // MySQL is seeded on purpose, with `npm run seed`.
    seedOnStart: env.DATABASE_SEED_ON_START ?? embedded,
  };
});

export const loggingConfig = registerAs('logging', () => {
  const env = parseEnvironment();
  return {
    level: env.LOG_LEVEL ?? 'info',
  };
});

export const idempotencyConfig = registerAs('idempotency', () => {
  const env = parseEnvironment();
  return {
    ttlHours: env.IDEMPOTENCY_KEY_TTL_HOURS ?? 24,
    lockSeconds: env.IDEMPOTENCY_LOCK_SECONDS ?? 60,
  };
});

export const adminConfig = registerAs('admin', () => ({
  /** Unset: the admin routes answer 404, as if they did not exist. */
  token: parseEnvironment().ADMIN_API_TOKEN,
}));

export const metricsConfig = registerAs('metrics', () => ({
  /** Set: `GET /metrics` wants `Authorization: Bearer <token>`; unset: it is open (keep it off the public edge). */
  token: parseEnvironment().METRICS_TOKEN,
}));

export const auditConfig = registerAs('audit', () => ({
  /** Audit entries older than this are deleted nightly. */
  retentionDays: parseEnvironment().AUDIT_RETENTION_DAYS ?? 365,
}));

export type HttpConfig = ReturnType<typeof httpConfig>;
export type DatabaseConfig = ReturnType<typeof databaseConfig>;
export type LoggingConfig = ReturnType<typeof loggingConfig>;
export type IdempotencyConfig = ReturnType<typeof idempotencyConfig>;
export type AdminConfig = ReturnType<typeof adminConfig>;
export type MetricsConfig = ReturnType<typeof metricsConfig>;
export type RateLimitConfig = ReturnType<typeof rateLimitConfig>;
export type AuditConfig = ReturnType<typeof auditConfig>;
