import type { RefusedValueCode } from './domain-error';

/** Driver error codes that mean "the database cannot serve us right now", not "your query is wrong". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'ER_QUERY_INTERRUPTED',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
]);

/**
 * Driver codes for a value the database will not store: MySQL/MariaDB in strict mode, and the
 * few SQLite has (it stores most values of any type in any column).
 */
const REFUSED_VALUE_CODES = new Map<string, RefusedValueCode>(Object.entries({
  ER_DATA_TOO_LONG: 'REQUEST.VALUE_TOO_LONG',
  SQLITE_TOOBIG: 'REQUEST.VALUE_TOO_LONG',
  ER_WARN_DATA_OUT_OF_RANGE: 'REQUEST.VALUE_OUT_OF_RANGE',
  ER_DATA_OUT_OF_RANGE: 'REQUEST.VALUE_OUT_OF_RANGE',
  ER_DATETIME_FUNCTION_OVERFLOW: 'REQUEST.VALUE_OUT_OF_RANGE',
  ER_TRUNCATED_WRONG_VALUE: 'REQUEST.VALUE_NOT_STORABLE',
  ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: 'REQUEST.VALUE_NOT_STORABLE',
  WARN_DATA_TRUNCATED: 'REQUEST.VALUE_NOT_STORABLE',
  ER_WRONG_VALUE: 'REQUEST.VALUE_NOT_STORABLE',
  ER_WRONG_VALUE_FOR_TYPE: 'REQUEST.VALUE_NOT_STORABLE',
  ER_INVALID_CHARACTER_STRING: 'REQUEST.VALUE_NOT_STORABLE',
  SQLITE_MISMATCH: 'REQUEST.VALUE_NOT_STORABLE',
} satisfies Record<string, RefusedValueCode>));

const UNIQUE_VIOLATION_CODES = new Set(['ER_DUP_ENTRY', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);

function driverCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = candidate.driverError?.code ?? candidate.code;
  return typeof code === 'string' ? code : undefined;
}

export function isDatabaseUnavailable(error: unknown): boolean {
  const code = driverCode(error);
  if (code && UNAVAILABLE_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Pool is closed|connect ECONNREFUSED|Connection lost|Can't add new command when connection is in closed state/i.test(
    message,
  );
}

export interface RefusedValue {
  /** The problem code for the client. */
  code: RefusedValueCode;
  driverCode: string;
  /** The column, when the driver names it: what to log instead of the SQL, which holds the request's data. */
  column?: string;
}

/** What the database refused to store, or undefined for any other error. */
export function refusedValue(error: unknown): RefusedValue | undefined {
  const driver = driverCode(error);
  const code = driver ? REFUSED_VALUE_CODES.get(driver) : undefined;
  if (!driver || !code) return undefined;
  const message = error instanceof Error ? error.message : '';
  return { code, driverCode: driver, column: /column '([^']+)'/.exec(message)?.[1] };
}

export function isDeadlockOrLockTimeout(error: unknown): boolean {
  const code = driverCode(error);
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || code === 'SQLITE_BUSY';
}

/**
 * True when `error` is a unique-key violation of the named index. Index names are explicit in
 * the migrations; SQLite names the columns instead (`UNIQUE constraint failed: t.col`), so the
 * caller passes both spellings.
 */
export function isUniqueViolation(error: unknown, ...names: string[]): boolean {
  const code = driverCode(error);
  if (!code || !UNIQUE_VIOLATION_CODES.has(code)) return false;
  if (names.length === 0) return true;
  const message = error instanceof Error ? error.message : String(error);
  return names.some((name) => message.includes(name));
}
