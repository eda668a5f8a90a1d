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
