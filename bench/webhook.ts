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
import { ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createConnection } from 'mysql2/promise';
import { signStripePayload } from '../libs/sandbox/src/stripe-sandbox/stripe-objects';

const ROOT = join(__dirname, '..');
const SERVER = (process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/+$/, '');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 12_000);
const LEVELS = (process.env.BENCH_CONNECTIONS ?? '16,32,64').split(',').map(Number);
const SECRET = 'whsec_bench_secret';
const PORT = 3900 + (process.pid % 90);
const TARGET = { events_per_s: 800, p99_ms: 100 };

async function main(): Promise<void> {
  for (const connections of LEVELS) await run(connections);
}

async function run(connections: number): Promise<void> {
  const name = `rsv_bench_webhook_${Date.now()}`;
  const admin = await createConnection({ uri: SERVER });
  await admin.query(`CREATE DATABASE \`${name}\``);
  let api: ChildProcess | undefined;
  try {
    api = await startApi(`${SERVER}/${name}`);
    const db = await createConnection({ uri: `${SERVER}/${name}`, timezone: 'Z' });
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
    const report = {
      benchmark: 'webhook',
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      api_processes: Number(process.env.WEB_CONCURRENCY ?? 1),
      connections,
      events: bodies.length,
      seconds,
      // Over the whole run (autocannon's own average is of whole-second samples).
      events_per_s: Math.round(result.requests.total / seconds),
      latency_ms: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
      non_2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      reservations_paid: Number(paid),
      book_with_supplier_events: Number(book),
      target: TARGET,
      meets_target: result.requests.total / seconds >= TARGET.events_per_s && result.latency.p99 <= TARGET.p99_ms && result.non2xx === 0,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    const dir = join(ROOT, 'docs', 'perf');
    mkdirSync(dir, { recursive: true });
    appendFileSync(join(dir, 'webhook.jsonl'), `${JSON.stringify(report)}\n`);
    writeFileSync(join(dir, 'webhook-latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    if (api && api.exitCode === null) {
      const exited = new Promise((resolve) => api!.once('exit', resolve));
      api.kill('SIGTERM');
      await exited;
    }
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  }
}

/** Reservations waiting for their payment, written straight to the database (creation is not measured here). */
async function insertReservations(db: Awaited<ReturnType<typeof createConnection>>, count: number): Promise<string[]> {
  const codes = Array.from({ length: count }, (_, i) => `B${String(i).padStart(7, '0')}`);
  const now = new Date();
  const pickup = new Date(now.getTime() + 30 * 86_400_000);
  const dropoff = new Date(pickup.getTime() + 4 * 86_400_000);
  for (let start = 0; start < count; start += 1000) {
    const rows = codes.slice(start, start + 1000).map((code, i) => [
      code, 'PAYMENT_IN_PROGRESS', 'HERTZ', 'MAD-T4', '2027-03-01T10:00', 'Europe/Madrid', pickup, 'BCN-T1', '2027-03-05T10:00',
      'Europe/Madrid', dropoff, 'CDMR', 'Ana', 'Pérez', 'ana@example.com', '+34600111222', 18950, 'EUR', `pi_bench_${start + i}`, 1, now, now,
    ]);
    await db.query(
      `INSERT INTO reservations (code, status, supplier_code, pickup_office_code, pickup_local, pickup_time_zone, pickup_at,
        dropoff_office_code, dropoff_local, dropoff_time_zone, dropoff_at, car_category_code, customer_first_name,
        customer_last_name, customer_email, customer_phone, amount, currency, payment_intent_id, lock_version, created_at, updated_at) VALUES ?`,
      [rows],
    );
  }
  return codes;
}

function succeededEvent(code: string, i: number) {
  return {
    id: `evt_bench_${i}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    type: 'payment_intent.succeeded',
    data: { object: { id: `pi_bench_${i}`, object: 'payment_intent', amount: 18950, currency: 'eur', status: 'succeeded', metadata: { reservation_code: code } } },
  };
}

async function startApi(databaseUrl: string): Promise<ChildProcess> {
  const profile = process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', '--cpu-prof-dir=/tmp/bench-prof'] : [];
  const child = spawn(process.execPath, [...profile, join(ROOT, 'dist/apps/api/src/main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DATABASE_SEED_ON_START: 'true',
      DATABASE_POOL_SIZE: '20',
      PORT: String(PORT),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      SANDBOX: 'false',
      STRIPE_SECRET_KEY: 'sk_test_bench',
      STRIPE_WEBHOOK_SECRET: SECRET,
      STRIPE_API_BASE: 'http://127.0.0.1:9',
      // Measure the webhook, not the supplier bookings its BOOK_WITH_SUPPLIER events start
      // (`npm run bench:booking` measures those) nor the payment jobs.
      OUTBOX_ENABLED: 'false',
      PAYMENT_JOBS_INTERVAL_MS: '3600000',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`API exited: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`API not ready: ${stderr}`);
    const ready = await fetch(`http://127.0.0.1:${PORT}/health/ready`).then((r) => r.ok, () => false);
    if (ready) return child;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:webhook failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
