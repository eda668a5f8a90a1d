/**
 * One measurement of `bench/floors.ts`: a path (create, lookup, webhook, booking) on one server
 * (its floor, or the built API), on a throw-away database of its own migrated and seeded by the
 * product, with the same load for both. The server reaches MariaDB through `dbUrl`, which is the
 * delaying proxy when BENCH_DB_RTT_MS > 0; the bench's own set-up and checks go straight to it.
 *
 * HTTP paths: autocannon's closed loop (bench/suite/load.ts `drive`), a warm-up and then the
 * measured run; CPU ms per request of the server process from /proc/<pid>/stat over the measured
 * run. Booking: a backlog of PAID reservations with due BOOK_WITH_SUPPLIER events, drained by the
 * server; bookings per second from the moment they are due to the last SUPPLIER_CONFIRMED.
 * Afterwards the rows each path writes are counted, so that a floor that skips work shows.
 */
import { Connection, createConnection } from 'mysql2/promise';
import { freePort, insertReservations, percentile, startApi, stopApi, withDatabase } from '../support';
import { drive } from '../suite/load';
import { cpuSeconds } from '../suite/machine';
import { createCall, ReservationPool } from '../suite/requests';
import { sleep } from '../suite/util';
import { Path, productEnv, Server, Settings, startFloor, startProduct } from './servers';

export type { Path, Settings } from './servers';
/** `framework`: the floor's handler on a bare Nest app (HTTP paths only). */
export type Kind = 'floor' | 'framework' | 'product';

const round = (value: number) => Math.round(value * 1000) / 1000;

export interface Measured {
  throughput_per_s: number;
  unit: 'req/s' | 'bookings/s';
  requests: number;
  seconds: number;
  latency_ms: { p50: number; p99: number };
  /** Booking: the supplier call as the drainer timed it (reservation_supplier_requests.latency_ms). */
  latency_of: string;
  errors: number;
  cpu_ms_per_request: number | null;
  /** Rows written over the whole run (warm-up included), beside the successful answers. */
  rows: Record<string, number>;
  answered_ok: number;
  rows_check: boolean;
}

export function measure(path: Path, kind: Kind, settings: Settings): Promise<Measured> {
  return withDatabase(`floors_${path}_${kind}`, async (url) => {
    // The product migrates and seeds at start; the floor's database is prepared by starting it once.
    if (kind !== 'product') await stopApi(await startApi(await freePort(), productEnv(path, url, settings)));
    const db = await createConnection({ uri: url, timezone: 'Z' });
    const server =
      kind === 'product' ? await startProduct(path, settings.dbUrl(url), settings) : await startFloor(path, settings.dbUrl(url), settings, kind === 'framework');
    try {
      return path === 'booking' ? await drain(db, server, settings, kind) : await load(path, db, server, settings);
    } finally {
      await server.stop();
      await db.end();
    }
  });
}

async function count(db: Connection, sql: string): Promise<number> {
  const [rows] = (await db.query(sql)) as unknown as [Record<string, unknown>[]];
  return Number(Object.values(rows[0])[0]);
}

/** The rows each path writes, counted after its run. */
const ROWS: Record<Path, Record<string, string>> = {
  create: {
    reservations_with_intent: "SELECT COUNT(*) FROM reservations WHERE status = 'PAYMENT_IN_PROGRESS' AND payment_intent_id IS NOT NULL",
    history_created: "SELECT COUNT(*) FROM reservation_status_history WHERE to_status = 'CREATED'",
    history_payment_in_progress: "SELECT COUNT(*) FROM reservation_status_history WHERE to_status = 'PAYMENT_IN_PROGRESS'",
    idempotency_keys_completed: "SELECT COUNT(*) FROM idempotency_keys WHERE state = 'COMPLETED' AND response_body IS NOT NULL",
    outbox_create_payment_intent: "SELECT COUNT(*) FROM outbox_events WHERE type = 'CREATE_PAYMENT_INTENT'",
  },
  lookup: { audit_log: "SELECT COUNT(*) FROM audit_log WHERE action = 'reservation.read' AND outcome = 'ok'" },
  webhook: {
    stripe_webhook_events: "SELECT COUNT(*) FROM stripe_webhook_events WHERE outcome = 'applied'",
    reservations_paid: "SELECT COUNT(*) FROM reservations WHERE status = 'PAID' AND lock_version = 2",
    history_paid: "SELECT COUNT(*) FROM reservation_status_history WHERE to_status = 'PAID'",
    outbox_book_with_supplier: "SELECT COUNT(*) FROM outbox_events WHERE type = 'BOOK_WITH_SUPPLIER'",
  },
  booking: {
    reservations_supplier_confirmed: "SELECT COUNT(*) FROM reservations WHERE status = 'SUPPLIER_CONFIRMED' AND supplier_confirmation IS NOT NULL",
    history_supplier_confirmed: "SELECT COUNT(*) FROM reservation_status_history WHERE to_status = 'SUPPLIER_CONFIRMED'",
    supplier_requests: "SELECT COUNT(*) FROM reservation_supplier_requests WHERE outcome = 'confirmed' AND request_body NOT LIKE '%ana@example.com%'",
    outbox_issue_receipt: "SELECT COUNT(*) FROM outbox_events WHERE type = 'ISSUE_RECEIPT'",
    outbox_book_done: "SELECT COUNT(*) FROM outbox_events WHERE type = 'BOOK_WITH_SUPPLIER' AND status = 'DONE'",
  },
};

/** Every row count equals the successful answers, give or take the requests cut off when the load stops. */
async function rowsOf(db: Connection, path: Path, ok: number, slack: number) {
  await sleep(500); // requests in flight when autocannon stopped still commit
  const rows: Record<string, number> = {};
  for (const [name, sql] of Object.entries(ROWS[path])) rows[name] = await count(db, sql);
  return { rows, answered_ok: ok, rows_check: Object.values(rows).every((n) => n >= ok && n <= ok + slack) };
}

async function load(path: Exclude<Path, 'booking'>, db: Connection, server: Server, settings: Settings): Promise<Measured> {
  const reservations = new ReservationPool(db);
  if (path === 'lookup') await reservations.keepUnpaid(5_000);
  if (path === 'webhook') await reservations.keepUnpaid(1_000 + settings.warmupS * 4_000);
  const next = path === 'create' ? createCall : path === 'lookup' ? () => reservations.lookup() : () => reservations.webhook();
  const warmup = await drive(server.port, settings.connections, settings.warmupS, next);
  // One unpaid reservation per webhook of the measured run: a short warm-up underrates the rate to come.
  if (path === 'webhook') await reservations.keepUnpaid(1_000 + Math.ceil(Math.max(3 * warmup.req_per_s, 4_000) * settings.durationS));
  const cpuBefore = cpuSeconds(server.pid);
  const step = await drive(server.port, settings.connections, settings.durationS, next);
  const cpuAfter = cpuSeconds(server.pid);
  const okOf = (s: typeof step) => s.requests - s.non_2xx;
  const checked = await rowsOf(db, path, okOf(warmup) + okOf(step), 2 * settings.connections);
  if (reservations.repeated > 0) process.stderr.write(`[bench:floors] ${reservations.repeated} webhooks repeated for want of unpaid reservations\n`);
  return {
    throughput_per_s: Math.round(step.req_per_s),
    unit: 'req/s',
    requests: step.requests,
    seconds: step.seconds,
    latency_ms: { p50: step.latency_ms.p50, p99: step.latency_ms.p99 },
    latency_of: 'response time (autocannon)',
    errors: step.errors + step.timeouts + step.non_2xx,
    cpu_ms_per_request: cpuBefore !== null && cpuAfter !== null && step.requests > 0 ? round(((cpuAfter - cpuBefore) * 1000) / step.requests) : null,
    ...checked,
  };
}

/** PAID reservations (all with BUDGET) and their BOOK_WITH_SUPPLIER events, due a day from now. */
async function backlog(db: Connection, count: number, first: number): Promise<string[]> {
  const codes = await insertReservations(db, count, () => 'BUDGET', first);
  const later = new Date(Date.now() + 86_400_000);
  await db.query("UPDATE reservations SET status = 'PAID', paid_at = NOW(3), lock_version = 2 WHERE code IN (?)", [codes]);
  const rows = codes.map((code) => ['BOOK_WITH_SUPPLIER', 'bookings', 'reservation', code, JSON.stringify({ reservationCode: code }), 'PENDING', 0, later, new Date(), new Date()]);
  for (let start = 0; start < rows.length; start += 1000) {
    await db.query('INSERT INTO outbox_events (type, lane, aggregate_type, aggregate_id, payload, status, attempts, next_attempt_at, created_at, updated_at) VALUES ?', [
      rows.slice(start, start + 1000),
    ]);
  }
  return codes;
}

/** Makes the events of `codes` due now and waits until `total` reservations are SUPPLIER_CONFIRMED. */
async function release(db: Connection, codes: string[], total: number): Promise<{ started: number; confirmed: number }> {
  const started = Date.now();
  await db.query("UPDATE outbox_events SET next_attempt_at = ? WHERE type = 'BOOK_WITH_SUPPLIER' AND aggregate_id IN (?)", [new Date(started), codes]);
  const deadline = started + 300_000;
  let confirmed = 0;
  while ((confirmed = await count(db, "SELECT COUNT(*) FROM reservations WHERE status = 'SUPPLIER_CONFIRMED'")) < total && Date.now() < deadline) await sleep(50);
  return { started, confirmed };
}

/** Codes never booked before in this run: the simulator, shared by every run, would answer a known one with 409. */
let firstCode = 0;

async function drain(db: Connection, server: Server, settings: Settings, kind: Kind): Promise<Measured> {
  const warmupCount = Math.min(1_000, 100 * settings.warmupS);
  const warmup = await backlog(db, warmupCount, firstCode);
  const measured = await backlog(db, settings.bookings, firstCode + warmupCount);
  firstCode += warmupCount + settings.bookings;
  await release(db, warmup, warmupCount);
  // The product issues and mails the warm-up's receipts: they must be done before the measured drain.
  const idle = Date.now() + 120_000;
  const receiptsDue = "SELECT COUNT(*) FROM outbox_events WHERE status IN ('PENDING', 'PROCESSING') AND next_attempt_at <= NOW(3) AND type <> 'BOOK_WITH_SUPPLIER'";
  while (kind === 'product' && (await count(db, receiptsDue)) > 0 && Date.now() < idle) await sleep(200);
  const cpuBefore = cpuSeconds(server.pid);
  const { started, confirmed } = await release(db, measured, warmupCount + settings.bookings);
  const cpuAfter = cpuSeconds(server.pid);
  const [[{ last }]] = (await db.query("SELECT MAX(created_at) AS last FROM reservation_status_history WHERE to_status = 'SUPPLIER_CONFIRMED'")) as unknown as [[{ last: Date }]];
  const seconds = Math.max(0.001, (last.getTime() - started) / 1000);
  const booked = confirmed - warmupCount;
  const [calls] = (await db.query('SELECT latency_ms FROM reservation_supplier_requests WHERE reservation_code IN (?) ORDER BY latency_ms', [measured])) as unknown as [{ latency_ms: number }[]];
  const latencies = calls.map((c) => c.latency_ms);
  const checked = await rowsOf(db, 'booking', confirmed, 0);
  return {
    throughput_per_s: Math.round(booked / seconds),
    unit: 'bookings/s',
    requests: booked,
    seconds: round(seconds),
    latency_ms: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    latency_of: 'supplier call as the drainer timed it',
    errors: settings.bookings - booked,
    cpu_ms_per_request: cpuBefore !== null && cpuAfter !== null && booked > 0 ? round(((cpuAfter - cpuBefore) * 1000) / booked) : null,
    ...checked,
  };
}
