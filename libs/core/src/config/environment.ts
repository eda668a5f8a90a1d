import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  const text = String(value).toLowerCase();
  if (['true', '1', 'yes'].includes(text)) return true;
  if (['false', '0', 'no'].includes(text)) return false;
  return value;
};

const toInt = ({ value }: { value: unknown }): unknown =>
  value === undefined || value === '' ? undefined : /^-?\d+$/.test(String(value)) ? Number(value) : value;

// class-validator checks a property's decorators bottom-up and stops at the first failure:
// the type check sits last so that "abc" is reported as "not an integer", not "too large".

/** A base URL, with or without a path (a trailing slash is dropped). */
const BASE_URL = /^https?:\/\/\S+$/;

/**
 * Every environment variable the product reads, with its rule. `.env.example` documents
 * each one; `parseEnvironment` refuses to start with a message naming the bad variable.
 */
export class Environment {
  @IsOptional() @Transform(toInt) @Min(0) @Max(65535) @IsInt()
  PORT?: number;

  @IsOptional() @IsString()
  HOST?: string;

  @IsOptional() @Transform(toInt) @Min(1) @Max(64) @IsInt()
  WEB_CONCURRENCY?: number;

  @IsOptional() @IsString() @Matches(/^(mysql|mariadb|sqlite):/, { message: 'must start with mysql://, mariadb:// or sqlite:' })
  DATABASE_URL?: string;

  @IsOptional() @Transform(toInt) @Min(1) @Max(500) @IsInt()
  DATABASE_POOL_SIZE?: number;

  @IsOptional() @Transform(toBoolean) @IsBoolean()
  DATABASE_MIGRATE_ON_START?: boolean;

  @IsOptional() @Transform(toBoolean) @IsBoolean()
  DATABASE_SEED_ON_START?: boolean;

  @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: string;

  @IsOptional() @Transform(toInt) @Min(24) @Max(24 * 365) @IsInt()
  IDEMPOTENCY_KEY_TTL_HOURS?: number;

  @IsOptional() @Transform(toInt) @Min(1) @Max(3600) @IsInt()
  IDEMPOTENCY_LOCK_SECONDS?: number;

  @IsOptional() @Transform(toInt) @Min(1000) @Max(10 * 1024 * 1024) @IsInt()
  HTTP_BODY_LIMIT_BYTES?: number;

  @IsOptional() @Transform(toInt) @Min(1000) @Max(10 * 60 * 1000) @IsInt()
  HTTP_KEEP_ALIVE_TIMEOUT_MS?: number;

  @IsOptional() @IsString() @Matches(/^(sk|rk)_\S+$/, { message: 'must be a Stripe secret key (sk_… or rk_…)' })
  STRIPE_SECRET_KEY?: string;

  @IsOptional() @IsString() @Matches(/^\S{8,}$/, { message: 'must be the endpoint secret (whsec_…)' })
  STRIPE_WEBHOOK_SECRET?: string;

  @IsOptional() @IsString() @Matches(/^https?:\/\/[^/\s]+\/?$/, { message: 'must be a base URL like http://127.0.0.1:12111' })
  STRIPE_API_BASE?: string;

  @IsOptional() @Transform(toInt) @Min(100) @Max(60_000) @IsInt()
  STRIPE_TIMEOUT_MS?: number;

  @IsOptional() @Transform(toBoolean) @IsBoolean()
  SANDBOX?: boolean;

  @IsOptional() @Transform(toInt) @Min(0) @Max(65535) @IsInt()
  SANDBOX_STRIPE_PORT?: number;

  @IsOptional() @Transform(toInt) @Min(1) @Max(7 * 24 * 60) @IsInt()
  RESERVATION_PAYMENT_TTL_MINUTES?: number;

  @IsOptional() @Transform(toInt) @Min(1) @Max(24 * 60) @IsInt()
  PAYMENT_RECONCILE_AFTER_MINUTES?: number;

  @IsOptional() @Transform(toInt) @Min(1000) @Max(3_600_000) @IsInt()
  PAYMENT_JOBS_INTERVAL_MS?: number;

  @IsOptional() @IsIn(['immediate', 'after_supplier_confirmation'])
  PAYMENT_CAPTURE?: 'immediate' | 'after_supplier_confirmation';

  // Stripe holds an online card payment about 7 days (168 h): a margin beyond that never captures.
  @IsOptional() @Transform(toInt) @Min(1) @Max(167) @IsInt()
  PAYMENT_CAPTURE_MARGIN_HOURS?: number;

  @IsOptional() @IsIn(['capture', 'release'])
  PAYMENT_CAPTURE_DEADLINE_POLICY?: 'capture' | 'release';

  @IsOptional() @IsString() @Matches(/^\S{16,}$/, { message: 'must be at least 16 characters without spaces' })
  ADMIN_API_TOKEN?: string;

  @IsOptional() @IsString() @Matches(/^\S{16,}$/, { message: 'must be at least 16 characters without spaces' })
  METRICS_TOKEN?: string;

  @IsOptional() @Transform(toInt) @Min(1) @Max(1_000_000_000) @IsInt()
  RATE_LIMIT_CREATE_PER_MINUTE?: number;

  @IsOptional() @Transform(toInt) @Min(1) @Max(1_000_000_000) @IsInt()
  RATE_LIMIT_LOOKUP_PER_MINUTE?: number;

  @IsOptional() @IsString() @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a Redis URL like redis://127.0.0.1:6379' })
  REDIS_URL?: string;

  @IsOptional() @IsString() @Matches(/^[\w:.-]{1,64}$/, { message: 'must be 1–64 letters, digits or _:.-' })
  RATE_LIMIT_REDIS_PREFIX?: string;

  @IsOptional() @IsString()
  CORS_ORIGINS?: string;

  @IsOptional() @IsString() @Matches(/^(true|false|\d{1,2}|[\w.:/]+(\s*,\s*[\w.:/]+)*)$/, {
    message: 'must be true, false, a number of proxy hops, or addresses/subnets separated by commas (loopback, 10.0.0.0/8)',
  })
  TRUST_PROXY?: string;

  @IsOptional() @Transform(toInt) @Min(1) @Max(36_500) @IsInt()
  AUDIT_RETENTION_DAYS?: number;

  @IsOptional() @Transform(toBoolean) @IsBoolean()
  OUTBOX_ENABLED?: boolean;

  @IsOptional() @Transform(toInt) @Min(10) @Max(3_600_000) @IsInt()
  OUTBOX_POLL_INTERVAL_MS?: number;

  @IsOptional() @Transform(toInt) @Min(1) @Max(5000) @IsInt()
  OUTBOX_BATCH_SIZE?: number;

  @IsOptional() @Transform(toInt) @Min(1) @Max(500) @IsInt()
  OUTBOX_CONCURRENCY?: number;

  @IsOptional() @IsString() @Matches(/^[a-z][a-z0-9-]{0,31}=[1-9]\d{0,2}(\s*,\s*[a-z][a-z0-9-]{0,31}=[1-9]\d{0,2})*$/, {
    message: 'must be lane=concurrency pairs separated by commas, like bookings=32,mail=4',
  })
  OUTBOX_LANE_CONCURRENCY?: string;

  @IsOptional() @Transform(toInt) @Min(1) @Max(1000) @IsInt()
  OUTBOX_MAX_ATTEMPTS?: number;

  @IsOptional() @Transform(toInt) @Min(1) @IsInt()
  OUTBOX_BACKOFF_BASE_MS?: number;

  @IsOptional() @Transform(toInt) @Min(1) @IsInt()
  OUTBOX_BACKOFF_MAX_MS?: number;

  @IsOptional() @Transform(toInt) @Min(100) @IsInt()
  OUTBOX_LEASE_MS?: number;

  @IsOptional() @Transform(toInt) @Min(0) @IsInt()
  OUTBOX_SHUTDOWN_TIMEOUT_MS?: number;

  @IsOptional() @Transform(toInt) @Min(0) @Max(7 * 24 * 3600) @IsInt()
  OUTBOX_READY_MAX_LAG_SECONDS?: number;
  // Supplier booking (SPEC §6). Without a URL, SANDBOX serves a simulator of each protocol.
  @IsOptional() @IsString() @Matches(BASE_URL, { message: 'must be a base URL like https://ota.hertz.example' })
  SUPPLIER_HERTZ_URL?: string;

  @IsOptional() @IsString()
  SUPPLIER_HERTZ_USER?: string;

  @IsOptional() @IsString()
  SUPPLIER_HERTZ_PASSWORD?: string;

  @IsOptional() @IsString() @Matches(BASE_URL, { message: 'must be a base URL like https://api.budget.example' })
  SUPPLIER_BUDGET_URL?: string;

  @IsOptional() @IsString()
  SUPPLIER_BUDGET_API_KEY?: string;

  @IsOptional() @IsString() @Matches(BASE_URL, { message: 'must be a base URL like https://api.europcar.example' })
  SUPPLIER_EUROPCAR_URL?: string;

  @IsOptional() @IsString()
  SUPPLIER_EUROPCAR_API_KEY?: string;

  @IsOptional() @Transform(toInt) @Min(100) @Max(120_000) @IsInt()
  SUPPLIER_TIMEOUT_MS?: number;

  @IsOptional() @Transform(toInt) @Min(1) @Max(1000) @IsInt()
  SUPPLIER_BREAKER_FAILURES?: number;

  @IsOptional() @Transform(toInt) @Min(100) @IsInt()
  SUPPLIER_BREAKER_HALF_OPEN_MS?: number;

  @IsOptional() @Transform(toInt) @Min(1) @IsInt()
  SUPPLIER_RETRY_BASE_SECONDS?: number;

  @IsOptional() @Transform(toInt) @Min(1) @IsInt()
  SUPPLIER_RETRY_MAX_SECONDS?: number;

  @IsOptional() @Transform(toInt) @Min(1) @Max(10_000) @IsInt()
  SUPPLIER_RETRY_MAX_ATTEMPTS?: number;

  @IsOptional() @Transform(toInt) @Min(1) @Max(65_532) @IsInt()
  SANDBOX_SUPPLIER_PORT?: number;

  @IsOptional() @Transform(toInt) @Min(1) @IsInt()
  MONEY_SAFETY_AGE_MINUTES?: number;

  @IsOptional() @Transform(toInt) @Min(1000) @IsInt()
  MONEY_SAFETY_INTERVAL_MS?: number;

  @IsOptional() @IsString() @Matches(/^smtps?:\/\/\S+$/, { message: 'must be an SMTP URL like smtp://user:pass@mail.example.com:587 or smtps://…' })
  SMTP_URL?: string;

  @IsOptional() @IsString() @Matches(/^(?:[^<>\r\n]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/, {
    message: 'must be an address, optionally with a name: "Receipts <receipts@example.com>"',
  })
  MAIL_FROM?: string;

  @IsOptional() @IsString()
  MAIL_DIR?: string;

  @IsOptional() @Transform(toInt) @Min(1000) @Max(10 * 60 * 1000) @IsInt()
  SMTP_TIMEOUT_MS?: number;

  @IsOptional() @IsString() @Matches(/^[^\r\n]{1,100}$/, { message: 'must be one line of at most 100 characters' })
  RECEIPT_COMPANY_NAME?: string;

  @IsOptional() @IsString() @Matches(/^[^\r\n]{1,300}$/, { message: 'must be one line of at most 300 characters (";" separates lines)' })
  RECEIPT_COMPANY_ADDRESS?: string;

  @IsOptional() @IsString() @Matches(/^[^<>@\s]+@[^<>@\s]+$/, { message: 'must be an e-mail address' })
  RECEIPT_SUPPORT_EMAIL?: string;

  @IsOptional() @Transform(toInt) @Min(0) @Max(64) @IsInt()
  RECEIPT_PDF_THREADS?: number;

  @IsOptional() @IsString() @Matches(/^(nats|tls):\/\/[^\s,]+(,(nats|tls):\/\/[^\s,]+)*$/, {
    message: 'must be one or more NATS server URLs, comma-separated, like nats://127.0.0.1:4222',
  })
  EVENTS_NATS_URL?: string;

  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must be a JetStream stream name: letters, digits, "_" and "-"' })
  EVENTS_NATS_STREAM?: string;

  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,64}){0,7}$/, {
    message: 'must be NATS subject tokens (letters, digits, "_" and "-") joined by dots, like reservations',
  })
  EVENTS_NATS_SUBJECT_PREFIX?: string;

  @IsOptional() @IsString() @Matches(/^\S{1,255}$/, { message: 'must be a URI reference without spaces (the CloudEvents source)' })
  EVENTS_SOURCE?: string;

  @IsOptional() @Transform(toInt) @Min(100) @Max(10 * 60 * 1000) @IsInt()
  EVENTS_NATS_RETRY_MAX_MS?: number;

  @IsOptional() @IsString() @Matches(BASE_URL, { message: 'must be an absolute http or https URL, like https://merchant.example/hooks/reservations' })
  STATUS_WEBHOOK_URL?: string;

  @IsOptional() @IsString() @Matches(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, {
    message: 'must be a Standard Webhooks secret: whsec_ and 24 to 64 random bytes in base64',
  })
  STATUS_WEBHOOK_SECRET?: string;

  @IsOptional() @Transform(toInt) @Min(100) @Max(60_000) @IsInt()
  STATUS_WEBHOOK_TIMEOUT_MS?: number;
}

/** A configuration the process cannot start with; the message names the variables and the rules, never a secret. */
export class InvalidEnvironmentError extends Error {
  override readonly name = 'InvalidEnvironmentError';
}

/**
 * Exit status of a process that refused to start on its configuration (EX_CONFIG in
 * sysexits.h): restarting it cannot help, so the cluster's primary does not.
 */
export const CONFIGURATION_ERROR_EXIT_CODE = 78;

/** Variables holding a secret (or a credential): a bad value is never shown, not even in part. */
const SECRET_VARIABLE = /(_TOKEN|_SECRET|_SECRET_KEY|_API_KEY|_PASSWORD|_USER)$/;
/** Variables holding a URL, which may carry credentials (`user:password@`, `?password=`). */
const URL_VARIABLE = /(_URL|_API_BASE)$/;

/** Validates and converts `process.env` (or the given record); throws naming every bad variable. */
export function parseEnvironment(raw: Record<string, unknown> = process.env): Environment {
  // `NAME=` in a .env file means "not set", as for most tools.
  const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== ''));
  const env = plainToInstance(Environment, present, { enableImplicitConversion: false });
  const errors = validateSync(env, { whitelist: false, forbidUnknownValues: false, stopAtFirstError: true });
  if (errors.length > 0) {
    const lines = errors.map((error) => {
      const rules = Object.values(error.constraints ?? {}).join('; ');
      return `  ${error.property}${shownValue(error.property, raw[error.property])}: ${rules}`;
    });
    throw new InvalidEnvironmentError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return env;
}

/** How a bad value appears in the error: whole, without its credentials (URLs), or not at all (secrets). */
function shownValue(name: string, value: unknown): string {
  const text = String(value);
  if (SECRET_VARIABLE.test(name)) return ' (value not shown: it is a secret)';
  const shown = URL_VARIABLE.test(name) || /:\/\/[^/\s]*@/.test(text) ? withoutCredentials(text) : text;
  return shown === undefined ? ' (value not shown: not a URL, and it may hold credentials)' : `=${JSON.stringify(shown)}`;
}

/** `mysql://user:***@host/db`: the password (or a lone user name, which may be a token) and the query masked. */
function withoutCredentials(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.password) url.password = '***';
  else if (url.username) url.username = '***';
  if (url.search) url.search = '***';
  url.hash = '';
  return url.toString();
}
