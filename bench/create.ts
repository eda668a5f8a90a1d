/**
 * Benchmark of `POST /api/v1/reservations` against the built API and a throw-away MySQL database.
 *
 *   npm run bench:create        (builds, then runs this file)
 *
 * Environment knobs (all optional):
 *   BENCH_DATABASE_URL  MySQL server, no database part   (default mysql://root@127.0.0.1:3306)
 *   BENCH_CONNECTIONS   concurrent HTTP connections       (default 64)
 *   BENCH_DURATION      measured seconds                  (default 20)
 *   BENCH_WARMUP        warm-up seconds, not measured     (default 3)
 *   BENCH_POOL_SIZE     DATABASE_POOL_SIZE for the app    (default 20)
 *   BENCH_CPU_PROF=1    run the app with --cpu-prof --cpu-prof-dir=/tmp/bench-prof
 *                       (summarise with `node bench/cpu-profile-summary.js`)
 *   BENCH_KEEP_DATABASE=1  keep the database for inspection
 * The rest of the environment goes to the API: WEB_CONCURRENCY=2 measures two processes.
 *
 * Prints one JSON object on stdout, appends it to docs/perf/create.jsonl and writes it to
 * docs/perf/create-latest.json. Exit code 0 whether or not the target is met; 1 if the app or
 * the database could not be set up; 130 on Ctrl-C (143 on SIGTERM). The database is dropped in every case.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import autocannon from 'autocannon';
import { Connection, createConnection } from 'mysql2/promise';
import {
  apiStderr,
  CPU_PROF,
  CPU_PROF_DIR,
  freePort,
  percentile,
  startApi,
  stopApi,
  withDatabase,
  writeReport,
} from './support';

const CONNECTIONS = positiveInt('BENCH_CONNECTIONS', 64);
const DURATION_S = positiveInt('BENCH_DURATION', 20);
const WARMUP_S = positiveInt('BENCH_WARMUP', 3);
const POOL_SIZE = positiveInt('BENCH_POOL_SIZE', 20);
const TARGET = { req_per_s: 1000, p99_ms: 100 };

/** Every supplier rents CDMR in EUR at both offices (libs/catalog/src/seed/reference-data.ts). */
const SUPPLIERS = ['HERTZ', 'BUDGET', 'EUROPCAR'];
const ROUTES = [
  ['MAD-T4', 'BCN-T1'],
  ['BCN-T1', 'MAD-T4'],
  ['MAD-T4', 'MAD-T4'],
];
const FIRST_NAMES = ['Ana', 'Luis', 'María', 'João', 'Chloé', 'Jürgen'];
const LAST_NAMES = ['Pérez', 'García', 'Silva', 'Müller', 'Dubois', 'Smith'];
/** Server-wide counters read before and after the measured run (SHOW GLOBAL STATUS). */
const STATUS_COUNTERS = [
  'Questions',
  'Com_begin',
  'Com_commit',
  'Com_insert',
  'Com_update',
  'Com_select',
  'Innodb_data_fsyncs',
];

/** The autocannon run under way, stopped on Ctrl-C. */
let cannon: autocannon.Instance | null = null;
let signalled: NodeJS.Signals | null = null;

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`${name}=${JSON.stringify(raw)} must be a positive integer\n`);
    process.exit(2);
  }
  return value;
}

function log(message: string): void {
  process.stderr.write(`[bench:create] ${message}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// Request bodies

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `YYYY-MM-DDT10:00`, `daysAhead` calendar days from today (the office's wall clock). */
function localAt(daysAhead: number): string {
  const d = new Date();
  d.setUTCHours(12, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() + daysAhead);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T10:00`;
}

// A handful of pickup dates around 60 days ahead, computed once.
const DATES = Array.from({ length: 7 }, (_, i) => ({ pickup: localAt(57 + i), dropoff: localAt(61 + i) }));

function pick<T>(list: readonly T[]): T {
  return list[Math.floor(Math.random() * list.length)];
}

function reservationBody() {
  const [pickupOffice, dropoffOffice] = pick(ROUTES);
  const dates = pick(DATES);
  return {
    supplier_code: pick(SUPPLIERS),
    pickup: { office_code: pickupOffice, at: dates.pickup },
    dropoff: { office_code: dropoffOffice, at: dates.dropoff },
    car_category: 'CDMR',
    customer: {
      first_name: pick(FIRST_NAMES),
      last_name: pick(LAST_NAMES),
      email: `bench+${randomBytes(4).toString('hex')}@example.com`,
      phone: '+34600111222',
    },
    price: { amount: 15000 + Math.floor(Math.random() * 10000), currency: 'EUR' },
  };
}

// ---------------------------------------------------------------------------------------------
// Load

/**
 * One autocannon run. Every request gets a fresh Idempotency-Key and body; the keys answered
 * with 2xx are collected (pipelining 1, so a connection's context holds its in-flight key).
 */
async function drive(
  port: number,
  durationS: number,
  acknowledged?: Set<string>,
  responseTimes?: number[],
): Promise<autocannon.Result> {
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}/api/v1/reservations`,
        method: 'POST',
        connections: CONNECTIONS,
        pipelining: 1,
        duration: durationS,
        timeout: 10,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        requests: [
          {
            setupRequest(req, context) {
              const key = randomUUID();
              (context as { key?: string }).key = key;
              const headers = { ...req.headers, 'idempotency-key': key };
              return { ...req, headers, body: JSON.stringify(reservationBody()) };
            },
            onResponse(status, _body, context) {
              const { key } = context as { key?: string };
              if (status >= 200 && status < 300 && key) acknowledged?.add(key);
            },
          },
        ],
      },
      (error: unknown, done: autocannon.Result) => {
        cannon = null;
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve(done);
      },
    );
    cannon = instance;
    if (responseTimes) instance.on('response', (_client, _status, _bytes, ms) => responseTimes.push(ms));
    const firstErrors = new Map<string, number>();
    instance.on('reqError', (error: { code?: string; message?: string } | undefined) => {
      const key = error?.code ?? String(error?.message);
      firstErrors.set(key, (firstErrors.get(key) ?? 0) + 1);
    });
    instance.on('done', () => {
      if (firstErrors.size > 0) log(`request errors: ${JSON.stringify(Object.fromEntries(firstErrors))}`);
    });
  });
  if (signalled) throw new Error(signalled);
  return result;
}

async function scalar(db: Connection, sql: string, params: unknown[] = []): Promise<number> {
  const [rows] = (await db.query(sql, params)) as unknown as [Record<string, unknown>[]];
  return Number(Object.values(rows[0])[0]);
}

async function serverStatus(db: Connection): Promise<Record<string, number>> {
  const query = 'SHOW GLOBAL STATUS WHERE Variable_name IN (?)';
  const [rows] = (await db.query(query, [STATUS_COUNTERS])) as unknown as [{ Variable_name: string; Value: string }[]];
  return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
}

/** Waits until the row count stops moving: requests cut off when autocannon stops still commit. */
async function settledCount(db: Connection): Promise<number> {
  let previous = -1;
  for (let i = 0; i < 40; i++) {
    const count = await scalar(db, 'SELECT COUNT(*) FROM reservations');
    if (count === previous) return count;
    previous = count;
    await sleep(250);
  }
  return previous;
}

// ---------------------------------------------------------------------------------------------

/** Warm-up, then the measured run and its checks in MySQL: the JSON object the script prints. */
async function measure(port: number, db: Connection) {
  log(`warm-up ${WARMUP_S} s, ${CONNECTIONS} connections`);
  const warmup = await drive(port, WARMUP_S);
  await settledCount(db);
  const baselineId = await scalar(db, 'SELECT COALESCE(MAX(id), 0) FROM reservations');

  log(`measuring ${DURATION_S} s, ${CONNECTIONS} connections`);
  const acknowledged = new Set<string>();
  const responseTimes: number[] = [];
  const statusBefore = await serverStatus(db);
  const result = await drive(port, DURATION_S, acknowledged, responseTimes);

  await settledCount(db);
  const statusAfter = await serverStatus(db);
  const rows = await scalar(db, 'SELECT COUNT(*) FROM reservations WHERE id > ?', [baselineId]);
  const distinctCodes = await scalar(db, 'SELECT COUNT(DISTINCT code) FROM reservations WHERE id > ?', [baselineId]);
  const allRows = await scalar(db, 'SELECT COUNT(*) FROM reservations');
  const allDistinctCodes = await scalar(db, 'SELECT COUNT(DISTINCT code) FROM reservations');
  const keysQuery = 'SELECT idempotency_key FROM reservations WHERE id > ?';
  const [keyRows] = (await db.query(keysQuery, [baselineId])) as unknown as [{ idempotency_key: string }[]];
  const stored = new Set(keyRows.map((r) => r.idempotency_key));
  let acknowledgedMissing = 0;
  for (const key of acknowledged) if (!stored.has(key)) acknowledgedMissing++;

  const twoxx = result['2xx'];
  const errors = result.errors + result.non2xx; // autocannon's errors include its timeouts
  const latency = result.latency;
  // autocannon 8 reports no p95: the nearest rank over the response times recorded here, then.
  const reportedP95 = (latency as Partial<Record<'p95', number>>).p95;
  const p95 = reportedP95 ?? nearestRank(responseTimes, 95);
  const reqPerS = result.requests.average;
  const inFlightAtStop = Math.max(0, result.requests.sent - result.requests.total - result.errors);
  const statusCodes = result.statusCodeStats ?? {};

  return {
    benchmark: 'create',
    date: new Date().toISOString(),
    node: process.version,
    connections: CONNECTIONS,
    duration_s: DURATION_S,
    requests_total: result.requests.total,
    req_per_s: reqPerS,
    latency_ms: {
      p50: latency.p50,
      p90: latency.p90,
      p95,
      p97_5: latency.p97_5,
      p99: latency.p99,
      max: latency.max,
      mean: latency.mean,
    },
    errors,
    non_2xx: result.non2xx,
    rows,
    distinct_codes: distinctCodes,
    target: TARGET,
    meets_target: reqPerS >= TARGET.req_per_s && latency.p99 <= TARGET.p99_ms && errors === 0,
    // Details
    status_codes: Object.fromEntries(Object.entries(statusCodes).map(([code, v]) => [code, v.count])),
    responses_2xx: twoxx,
    timeouts: result.timeouts,
    checks: {
      rows_equal_2xx: rows === twoxx,
      // Every acknowledged key has its row, and any extra rows are requests autocannon cut off
      // when the run stopped (the server committed them, the answer was never read).
      rows_consistent: acknowledgedMissing === 0 && rows >= twoxx && rows - twoxx <= inFlightAtStop,
      acknowledged_missing_rows: acknowledgedMissing,
      unacknowledged_rows: rows - (acknowledged.size - acknowledgedMissing),
      in_flight_at_stop: inFlightAtStop,
      codes_unique: distinctCodes === rows && allDistinctCodes === allRows,
      table_rows: allRows,
      table_distinct_codes: allDistinctCodes,
    },
    // Server-wide counters (SHOW GLOBAL STATUS) over the measured run, per 2xx response:
    // indicative only, other clients of the same server are counted too.
    db_per_request: Object.fromEntries(
      Object.keys(statusAfter).map((name) => [
        name.toLowerCase(),
        twoxx > 0 ? Math.round(((statusAfter[name] - (statusBefore[name] || 0)) / twoxx) * 100) / 100 : null,
      ]),
    ),
    warmup: {
      duration_s: WARMUP_S,
      requests_total: warmup.requests.total,
      responses_2xx: warmup['2xx'],
      errors: warmup.errors + warmup.non2xx,
    },
    config: { pool_size: POOL_SIZE, pipelining: 1, cpu_profiled: CPU_PROF },
    host: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model,
      load_generator: `autocannon ${autocannonVersion()}, same host`,
    },
    notes: [
      'latency covers every response (autocannon default); p50/p90/p97_5/p99/max/mean from autocannon',
      reportedP95 !== undefined
        ? 'p95 from autocannon'
        : 'autocannon 8 reports no p95: p95 is the nearest-rank value over the per-response times ' +
          'recorded by this script',
      'rows = reservations inserted during the measured run (warm-up excluded); requests cut off when ' +
        'the run stops may commit without a counted 2xx (see checks.in_flight_at_stop)',
      'meets_target requires req_per_s >= target, p99 <= target and zero errors',
    ],
  };
}

/** Nearest-rank percentile of unsorted values to 0.01 ms; null without any. */
function nearestRank(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  return Math.round(percentile([...values].sort((a, b) => a - b), p) * 100) / 100;
}

function autocannonVersion(): string {
  return (JSON.parse(readFileSync(require.resolve('autocannon/package.json'), 'utf8')) as { version: string }).version;
}

async function main(): Promise<void> {
  await withDatabase('create', async (url) => {
    log(`database ${url.slice(url.lastIndexOf('/') + 1)}`);
    const port = await freePort();
    const stripePort = await freePort();
    const api = await startApi(port, {
      DATABASE_URL: url,
      DATABASE_POOL_SIZE: String(POOL_SIZE),
      // The Stripe sandbox inside the API process, as in every run of create.jsonl (the suite runs it in its own).
      SANDBOX: 'true',
      SANDBOX_STRIPE_PORT: String(stripePort),
      STRIPE_API_BASE: `http://127.0.0.1:${stripePort}`,
    });
    try {
      const profiled = CPU_PROF ? `, --cpu-prof to ${CPU_PROF_DIR}` : '';
      log(`API pid ${api.pid} ready on port ${port} (pool ${POOL_SIZE}${profiled})`);
      if (signalled) throw new Error(signalled);
      const db = await createConnection({ uri: url });
      try {
        writeReport('create', await measure(port, db));
      } finally {
        await db.end().catch(() => undefined);
      }
      const stderr = apiStderr(api);
      if (stderr.trim()) log(`API stderr during the run:\n${stderr.slice(-4000)}`);
    } finally {
      await stopApi(api);
    }
  });
}

// Ctrl-C or SIGTERM: stop the load and let the `finally` blocks stop the API and drop the database.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    signalled = signal;
    cannon?.stop();
  });
}

main().then(
  () => {
    if (CPU_PROF) log(`CPU profile(s) in ${CPU_PROF_DIR}; summarise with: node bench/cpu-profile-summary.js`);
    process.exit(0);
  },
  (error: unknown) => {
    if (signalled) log('interrupted: API stopped, database dropped, nothing written');
    else log(`FAILED: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(signalled === 'SIGINT' ? 130 : signalled === 'SIGTERM' ? 143 : 1);
  },
);
