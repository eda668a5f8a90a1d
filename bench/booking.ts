/**
 * `npm run bench:booking`: supplier bookings by the built API's outbox drainer against
 * zero-latency supplier simulators (HERTZ, BUDGET, EUROPCAR in turn), in two phases on one
 * throw-away MySQL database:
 *
 * 1. throughput: BENCH_BOOKINGS PAID reservations whose BOOK_WITH_SUPPLIER events are made due
 *    at once; bookings/s from that moment to the last SUPPLIER_CONFIRMED (the drainer alone,
 *    as the yardstick loop of the issue);
 * 2. latency: BENCH_LATENCY_EVENTS signed `payment_intent.succeeded` webhooks posted at
 *    BENCH_RATE per second, evenly spaced; webhook-to-SUPPLIER_CONFIRMED p50/p95/p99, read from the status
 *    history the API writes (PAID row → SUPPLIER_CONFIRMED row, one clock).
 *
 * Prints JSON; appends to docs/perf/booking.jsonl, writes docs/perf/booking-latest.json.
 * Knobs: BENCH_DATABASE_URL, BENCH_BOOKINGS (6000), BENCH_LATENCY_EVENTS (3000), BENCH_RATE
 * (100), OUTBOX_CONCURRENCY / OUTBOX_BATCH_SIZE (passed to the API), BENCH_CPU_PROF=1.
 */
import { cpus } from 'node:os';
import { Agent, request } from 'undici';
import { createConnection } from 'mysql2/promise';
import { signStripePayload, SupplierSimulator } from '@app/sandbox';
import { insertReservations, percentile, startApi, stopApi, succeededEvent, withDatabase, writeReport } from './support';

const BOOKINGS = Number(process.env.BENCH_BOOKINGS ?? 6000);
const LATENCY_EVENTS = Number(process.env.BENCH_LATENCY_EVENTS ?? 3000);
const RATE = Number(process.env.BENCH_RATE ?? 100);
const SECRET = 'whsec_bench_secret';
const PORT = 3800 + (process.pid % 90);
const SUPPLIERS = ['HERTZ', 'BUDGET', 'EUROPCAR'] as const;
const TARGET = { bookings_per_s: 600, p95_ms: 100 };

async function main(): Promise<void> {
  const simulators = SUPPLIERS.map((code) => new SupplierSimulator(code));
  const [hertz, budget, europcar] = await Promise.all(simulators.map((simulator) => simulator.start()));
  try {
    await withDatabase('booking', async (url) => {
      const api = await startApi(PORT, {
        DATABASE_URL: url,
        STRIPE_WEBHOOK_SECRET: SECRET,
        SUPPLIER_HERTZ_URL: hertz.url,
        SUPPLIER_BUDGET_URL: budget.url,
        SUPPLIER_EUROPCAR_URL: europcar.url,
        // Phase 1 makes its events due from another connection: the poll finds them within 50 ms.
        OUTBOX_POLL_INTERVAL_MS: '50',
      });
      try {
        await run(url);
      } finally {
        await stopApi(api);
      }
    });
  } finally {
    await Promise.all(simulators.map((simulator) => simulator.stop()));
  }
}

type Db = Awaited<ReturnType<typeof createConnection>>;

async function run(url: string): Promise<void> {
  const db = await createConnection({ uri: url, timezone: 'Z' });
  try {
    const codes = await insertReservations(db, BOOKINGS + LATENCY_EVENTS, (i) => SUPPLIERS[i % SUPPLIERS.length]);
    const throughput = await drainPaid(db, codes.slice(0, BOOKINGS));
    const receipts = await waitForReceipts(db, BOOKINGS);
    const latency = await webhooksAtRate(db, codes.slice(BOOKINGS), BOOKINGS);
    writeReport('booking', {
      benchmark: 'booking',
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      outbox: {
        concurrency: process.env.OUTBOX_CONCURRENCY ?? 'default',
        lane_concurrency: process.env.OUTBOX_LANE_CONCURRENCY ?? 'default (receipts=2, mail=8)',
        batch_size: process.env.OUTBOX_BATCH_SIZE ?? 'default',
      },
      throughput,
      receipts,
      latency,
      target: TARGET,
      meets_target: throughput.bookings_per_s >= TARGET.bookings_per_s && latency.webhook_to_confirmed_ms.p95 <= TARGET.p95_ms,
    });
  } finally {
    await db.end();
  }
}

/** Phase 1: PAID reservations with their BOOK_WITH_SUPPLIER due at once; the drainer books them. */
async function drainPaid(db: Db, codes: string[]) {
  const later = new Date(Date.now() + 86_400_000);
  await db.query("UPDATE reservations SET status = 'PAID', paid_at = NOW(3) WHERE code IN (?)", [codes]);
  for (let start = 0; start < codes.length; start += 1000) {
    const rows = codes.slice(start, start + 1000).map((code) => [
      'BOOK_WITH_SUPPLIER', 'bookings', 'reservation', code, JSON.stringify({ reservationCode: code }), 'PENDING', 0, later, new Date(), new Date(),
    ]);
    await db.query(
      'INSERT INTO outbox_events (type, lane, aggregate_type, aggregate_id, payload, status, attempts, next_attempt_at, created_at, updated_at) VALUES ?',
      [rows],
    );
  }
  const started = Date.now();
  await db.query("UPDATE outbox_events SET next_attempt_at = ? WHERE type = 'BOOK_WITH_SUPPLIER'", [new Date(started)]);
  const confirmed = await waitForConfirmed(db, codes.length);
  const [[{ last }]] = (await db.query(
    "SELECT MAX(created_at) AS last FROM reservation_status_history WHERE to_status = 'SUPPLIER_CONFIRMED'",
  )) as unknown as [[{ last: Date }]];
  const seconds = (last.getTime() - started) / 1000;
  return { bookings: codes.length, supplier_confirmed: confirmed, seconds: Number(seconds.toFixed(2)), bookings_per_s: Math.round(confirmed / seconds) };
}

/** Phase 2: webhooks at a steady rate below capacity; webhook-to-SUPPLIER_CONFIRMED latency. */
async function webhooksAtRate(db: Db, codes: string[], offset: number) {
  // Open loop, evenly spaced (autocannon's rate limit sends each second's requests in a burst).
  const agent = new Agent({ connections: 64 });
  const http: number[] = [];
  let errors = 0;
  const started = performance.now();
  const sends: Promise<void>[] = [];
  for (const [i, code] of codes.entries()) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const body = JSON.stringify(succeededEvent(code, offset + i));
    const sent = performance.now();
    sends.push(
      request(`http://127.0.0.1:${PORT}/api/v1/webhooks/stripe`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', 'stripe-signature': signStripePayload(body, SECRET) },
        body,
      }).then(
        async (response) => {
          await response.body.dump();
          if (response.statusCode !== 200) errors++;
          http.push(performance.now() - sent);
        },
        () => void errors++,
      ),
    );
  }
  await Promise.all(sends);
  const burstEnded = Date.now();
  await agent.close();
  http.sort((a, b) => a - b);
  const confirmed = await waitForConfirmed(db, offset + codes.length);
  const mailed = await waitForReceipts(db, offset + codes.length, burstEnded);
  const [rows] = (await db.query(
    `SELECT p.created_at AS paid_at, c.created_at AS confirmed_at
       FROM reservations r
       JOIN reservation_status_history p ON p.reservation_id = r.id AND p.to_status = 'PAID'
       JOIN reservation_status_history c ON c.reservation_id = r.id AND c.to_status = 'SUPPLIER_CONFIRMED'
      WHERE r.code IN (?)`,
    [codes],
  )) as unknown as [{ paid_at: Date; confirmed_at: Date }[]];
  const latencies = rows.map((r) => r.confirmed_at.getTime() - r.paid_at.getTime()).sort((a, b) => a - b);
  const [calls] = (await db.query('SELECT latency_ms FROM reservation_supplier_requests WHERE reservation_code IN (?) ORDER BY latency_ms', [
    codes,
  ])) as unknown as [{ latency_ms: number }[]];
  const callLatencies = calls.map((c) => c.latency_ms);
  return {
    webhooks: codes.length,
    rate_per_s: RATE,
    supplier_confirmed: confirmed - offset,
    webhook_to_confirmed_ms: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 },
    supplier_call_ms: { p50: percentile(callLatencies, 50), p95: percentile(callLatencies, 95) },
    webhook_http_ms: { p50: Math.round(percentile(http, 50)), p99: Math.round(percentile(http, 99)) },
    webhook_errors: errors,
    // Receipts may queue during the burst; they must all be mailed once it ends.
    receipts: { mailed: mailed.receipts_mailed - offset, all_mailed_s_after_burst: mailed.seconds_after_bookings },
  };
}

/**
 * Between the phases: each booking enqueued a receipt (ISSUE_RECEIPT, then SEND_RECEIPT_EMAIL
 * with its PDF); wait until every one is mailed, so that phase 2 starts on an idle outbox.
 */
async function waitForReceipts(db: Db, expected: number, since = Date.now()) {
  const deadline = since + 600_000;
  for (;;) {
    const [[row]] = (await db.query(
      'SELECT COUNT(*) AS n, MIN(emailed_at) AS first, MAX(emailed_at) AS last FROM receipts WHERE emailed_at IS NOT NULL',
    )) as unknown as [[{ n: number; first: Date | null; last: Date | null }]];
    const mailed = Number(row.n);
    if (mailed >= expected || Date.now() > deadline) {
      const seconds = (Date.now() - since) / 1000;
      // One process issues and mails them all: its receipts per second, first to last.
      const span = row.first && row.last ? (row.last.getTime() - row.first.getTime()) / 1000 : 0;
      return {
        receipts_mailed: mailed,
        seconds_after_bookings: Number(seconds.toFixed(1)),
        receipts_per_s_per_process: span > 0 ? Math.round(mailed / span) : null,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function waitForConfirmed(db: Db, expected: number): Promise<number> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const [[row]] = (await db.query("SELECT COUNT(*) AS n FROM reservations WHERE status = 'SUPPLIER_CONFIRMED'")) as unknown as [[{ n: number }]];
    const confirmed = Number(row.n);
    if (confirmed >= expected || Date.now() > deadline) return confirmed;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:booking failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
