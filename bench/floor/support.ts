/**
 * What the floors share: the mysql2 pool (set up as the product's: same size, keep-alive,
 * `trace: false`, UTC), one transaction on one connection, a bare `node:http` server with a
 * readiness route, a keep-alive HTTP client for the calls out (Stripe, the supplier), and the
 * JSON view of a reservation row.
 *
 * Floors import node and mysql2 only: no framework, no ORM, no validation library, nothing
 * of the product (`@app/…`), so that nothing of the product's cost comes in with them.
 */
import { Agent, createServer, IncomingMessage, request, ServerResponse } from 'node:http';
import { createPool, Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';

export type Row = RowDataPacket & Record<string, unknown>;

export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A variable of the environment the bench gives the floor, or `fallback`. */
export function setting(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
}

/** As the product's pool: `DATABASE_POOL_SIZE` connections, as many kept idle, keep-alive, no stack traces, UTC. */
export function floorPool(): Pool {
  const size = Number(setting('DATABASE_POOL_SIZE', '20'));
  return createPool({
    uri: setting('DATABASE_URL'),
    connectionLimit: size,
    maxIdle: size,
    enableKeepAlive: true,
    connectTimeout: 5_000,
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
    trace: false,
  });
}

/** BEGIN, `work`, COMMIT on one connection; ROLLBACK and rethrow on any error. */
export async function transaction<T>(pool: Pool, work: (connection: PoolConnection) => Promise<T>, isolation?: 'READ COMMITTED'): Promise<T> {
  const connection = await pool.getConnection();
  try {
    if (isolation) await connection.query(`SET TRANSACTION ISOLATION LEVEL ${isolation}`);
    await connection.query('BEGIN');
    try {
      const result = await work(connection);
      await connection.query('COMMIT');
      return result;
    } catch (error) {
      await connection.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    connection.release();
  }
}

/** Rows of a SELECT. */
export async function select(db: Pool | PoolConnection, sql: string, values: unknown[]): Promise<Row[]> {
  const [rows] = await db.query<Row[]>(sql, values);
  return rows;
}

/** The result of an INSERT, UPDATE or DELETE. */
export async function write(db: Pool | PoolConnection, sql: string, values: unknown[]): Promise<ResultSetHeader> {
  const [result] = await db.query<ResultSetHeader>(sql, values);
  return result;
}

/** A unique key refused the row (`key`: the index name MariaDB reports). */
export function isDuplicate(error: unknown, key?: string): boolean {
  const e = error as { code?: string; sqlMessage?: string };
  return e?.code === 'ER_DUP_ENTRY' && (!key || (e.sqlMessage ?? '').includes(key));
}

/** An RFC 9457 problem, as the product answers its errors. */
export function problem(status: number, code: string, detail: string): Answer {
  return { status, body: { type: 'about:blank', title: code, status, code, detail } };
}

/**
 * Listens on `PORT` and answers each request with `handle(request, raw body)`. `GET /health/ready`
 * answers 200 at once (the bench waits for it). SIGTERM closes the server and the pool, then exits.
 * With FLOOR_SERVER=nest the same handler is served by a bare Nest app instead (`./on-nest.ts`).
 */
export function serve(pool: Pool, handle: (request: IncomingMessage, body: Buffer) => Promise<Answer>): void {
  if (process.env.FLOOR_SERVER === 'nest') {
    // The framework run of bench/floors.ts: the same handler inside a bare Nest app (./on-nest.ts).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { serveOnNest } = require('./on-nest') as typeof import('./on-nest');
    serveOnNest(pool, handle, Number(setting('PORT')), onStop).catch((error: unknown) => {
      process.stderr.write(`floor on Nest: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    });
    return;
  }
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/health/ready') return reply(res, { status: 200, body: { status: 'ok' } });
      handle(req, Buffer.concat(chunks)).then(
        (answer) => reply(res, answer),
        (error: unknown) => {
          process.stderr.write(`floor: ${error instanceof Error ? error.stack : String(error)}\n`);
          reply(res, problem(500, 'INTERNAL', 'unexpected error'));
        },
      );
    });
  });
  server.listen(Number(setting('PORT')), '127.0.0.1');
  onStop(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await pool.end();
  });
}

/** Runs `stop` on SIGTERM or SIGINT, then exits. */
export function onStop(stop: () => Promise<void>): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      const exit = () => process.exit(0);
      setTimeout(exit, 5_000).unref();
      stop().then(exit, exit);
    });
  }
}

function reply(res: ServerResponse, answer: Answer): void {
  const body = JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...answer.headers });
  res.end(body);
}

/** Keep-alive connections for the calls out, as the product keeps them (64 at most). */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One HTTP call out; the status and the body as text. */
export function call(url: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method, headers: init.headers, agent, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${init.method} ${url}: timeout`)));
    req.on('error', reject);
    req.end(init.body);
  });
}

const PAYMENT: Record<string, string> = { CREATED: 'pending', PAYMENT_IN_PROGRESS: 'pending', PAYMENT_FAILED: 'failed', EXPIRED: 'failed' };
const SUPPLIER: Record<string, string> = { SUPPLIER_CONFIRMED: 'confirmed', CONFIRMED_INTERNAL: 'retrying', EXPIRED: 'cancelled', REFUNDED: 'cancelled' };

/** The columns the view needs (the lookup selects only these). */
export const VIEW_COLUMNS =
  'id, code, status, supplier_code, pickup_office_code, pickup_local, pickup_time_zone, pickup_at, dropoff_office_code, ' +
  'dropoff_local, dropoff_time_zone, dropoff_at, car_category_code, customer_first_name, customer_last_name, customer_email, ' +
  'customer_phone, amount, currency, payment_intent_id, payment_client_secret, payment_failure_message, supplier_confirmation, ' +
  'supplier_rejected_at, created_at, updated_at';

/** The product's JSON view of a reservation (`ReservationView`), from a row of `VIEW_COLUMNS`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a row as mysql2 returns it: dates, strings, numbers
export function reservationView(r: Record<string, any>): unknown {
  const status = r.status as string;
  const supplier = status === 'CONFIRMED_INTERNAL' && r.supplier_rejected_at ? 'rejected' : (SUPPLIER[status] ?? 'pending');
  return {
    reservation_code: r.code,
    status,
    progress: { code: 'issued', payment: PAYMENT[status] ?? (status === 'REFUNDED' ? 'refunded' : 'succeeded'), supplier },
    supplier_code: r.supplier_code,
    pickup: { office_code: r.pickup_office_code, at: r.pickup_local, time_zone: r.pickup_time_zone, at_utc: r.pickup_at.toISOString() },
    dropoff: { office_code: r.dropoff_office_code, at: r.dropoff_local, time_zone: r.dropoff_time_zone, at_utc: r.dropoff_at.toISOString() },
    car_category: r.car_category_code,
    customer: { first_name: r.customer_first_name, last_name: r.customer_last_name, email: r.customer_email, phone: r.customer_phone },
    price: { amount: r.amount, currency: r.currency },
    payment: r.payment_intent_id
      ? { payment_intent_id: r.payment_intent_id, client_secret: r.payment_client_secret, failure_message: r.payment_failure_message }
      : null,
    supplier_confirmation: r.supplier_confirmation,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}
