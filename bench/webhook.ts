/**
 * `npm run bench:webhook`: signed `payment_intent.succeeded` events for distinct reservations,
 * posted concurrently to the built API on a throw-away MySQL database. Each event moves one
 * reservation to PAID and enqueues its BOOK_WITH_SUPPLIER. Prints events/s and latency
 * percentiles as JSON; appends to docs/perf/webhook.jsonl, writes docs/perf/webhook-latest.json.
 *
 * One run per concurrency level in BENCH_CONNECTIONS, each on a fresh database and API process.
 *
 * Knobs: BENCH_DATABASE_URL (default mysql://root@127.0.0.1:3306), BENCH_EVENTS (default 12000),
 * BENCH_CONNECTIONS (comma-separated levels, default 16,32,64), WEB_CONCURRENCY (API processes,
 * default 1), BENCH_CPU_PROF=1 (profile the API into /tmp/bench-prof; summarise with
 * `node bench/cpu-profile-summary.js`).
 */
import { cpus } from 'node:os';
import autocannon from 'autocannon';
import { createConnection } from 'mysql2/promise';
import { signStripePayload } from '@app/sandbox';
import { insertReservations, startApi, stopApi, succeededEvent, withDatabase, writeReport } from './support';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 12_000);
const LEVELS = (process.env.BENCH_CONNECTIONS ?? '16,32,64').split(',').map(Number);
const SECRET = 'whsec_bench_secret';
const PORT = 3900 + (process.pid % 90);
const TARGET = { events_per_s: 800, p99_ms: 100 };

async function main(): Promise<void> {
  for (const connections of LEVELS) await run(connections);
}

async function run(connections: number): Promise<void> {
  await withDatabase('webhook', async (url) => {
    const api = await startApi(PORT, {
      DATABASE_URL: url,
      STRIPE_WEBHOOK_SECRET: SECRET,
      // Measure the webhook, not the supplier bookings its BOOK_WITH_SUPPLIER events start
      // (`npm run bench:booking` measures those).
      OUTBOX_ENABLED: 'false',
    });
    try {
      const db = await createConnection({ uri: url, timezone: 'Z' });
      const codes = await insertReservations(db, EVENTS);
      const bodies = codes.map((code, i) => JSON.stringify(succeededEvent(code, i)));

      let next = 0;
      const result = await autocannon({
        url: `http://127.0.0.1:${PORT}`,
        connections,
        amount: bodies.length,
        requests: [
          {
            method: 'POST',
            path: '/api/v1/webhooks/stripe',
            setupRequest: (request) => {
              const body = bodies[next++ % bodies.length];
              return {
                ...request,
                body,
                headers: { 'content-type': 'application/json', 'stripe-signature': signStripePayload(body, SECRET) },
              };
            },
          },
        ],
      });
      const [[{ paid }]] = (await db.query("SELECT COUNT(*) AS paid FROM reservations WHERE status = 'PAID'")) as unknown as [[{ paid: number }]];
      const [[{ book }]] = (await db.query("SELECT COUNT(*) AS book FROM outbox_events WHERE type = 'BOOK_WITH_SUPPLIER'")) as unknown as [[{ book: number }]];
      await db.end();

      const seconds = result.duration;
      const eventsPerSecond = result.requests.total / seconds;
      writeReport('webhook', {
        benchmark: 'webhook',
        date: new Date().toISOString(),
        node: process.version,
        cpus: cpus().length,
        api_processes: Number(process.env.WEB_CONCURRENCY ?? 1),
        connections,
        events: bodies.length,
        seconds,
        // Over the whole run (autocannon's own average is of whole-second samples).
        events_per_s: Math.round(eventsPerSecond),
        latency_ms: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
        non_2xx: result.non2xx,
        errors: result.errors + result.timeouts,
        reservations_paid: Number(paid),
        book_with_supplier_events: Number(book),
        target: TARGET,
        meets_target: eventsPerSecond >= TARGET.events_per_s && result.latency.p99 <= TARGET.p99_ms && result.non2xx === 0,
      });
    } finally {
      await stopApi(api);
    }
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:webhook failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
