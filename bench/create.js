#!/usr/bin/env node
'use strict';
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
 *
 * Prints one JSON object on stdout, appends it to docs/perf/create.jsonl and writes it to
 * docs/perf/create-latest.json. Exit code 0 whether or not the target is met; 1 if the app or
 * the database could not be set up; 130 on Ctrl-C. The database is dropped in every case.
 */
const { spawn } = require('node:child_process');
const { randomBytes, randomUUID } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const mysql = require('mysql2/promise');
const autocannon = require('autocannon');

const ROOT = path.resolve(__dirname, '..');
const APP_ENTRY = path.join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');
const PERF_DIR = path.join(ROOT, 'docs', 'perf');
const CPU_PROF_DIR = '/tmp/bench-prof';

const SERVER_URL = (process.env.BENCH_DATABASE_URL || 'mysql://root@127.0.0.1:3306').replace(/\/+$/, '');
const CONNECTIONS = positiveInt('BENCH_CONNECTIONS', 64);
const DURATION_S = positiveInt('BENCH_DURATION', 20);
const WARMUP_S = positiveInt('BENCH_WARMUP', 3);
const POOL_SIZE = positiveInt('BENCH_POOL_SIZE', 20);
const CPU_PROF = ['1', 'true', 'yes'].includes(String(process.env.BENCH_CPU_PROF || '').toLowerCase());
const READY_TIMEOUT_MS = 60_000;
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

const state = {
  admin: null, // mysql2 connection to the server (no database selected)
  database: null, // name of the database once created
  child: null, // the API process
  childExited: null, // promise resolved with { code, signal }
  childOut: '', // tails of the child's output, for failure reports
  childErr: '',
  cannon: null, // running autocannon instance
  cleaning: null,
};

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`${name}=${JSON.stringify(raw)} must be a positive integer\n`);
    process.exit(2);
  }
  return value;
}

function log(message) {
  process.stderr.write(`[bench:create] ${message}\n`);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function tail(text, max = 64 * 1024) {
  return text.length > max ? text.slice(text.length - max) : text;
}

// ---------------------------------------------------------------------------------------------
// Request bodies

function pad(n) {
  return String(n).padStart(2, '0');
}

/** `YYYY-MM-DDT10:00`, `daysAhead` calendar days from today (the office's wall clock). */
function localAt(daysAhead) {
  const d = new Date();
  d.setUTCHours(12, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() + daysAhead);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T10:00`;
}

// A handful of pickup dates around 60 days ahead, computed once.
const DATES = Array.from({ length: 7 }, (_, i) => ({ pickup: localAt(57 + i), dropoff: localAt(61 + i) }));

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

function reservationBody() {
  const [pickupOffice, dropoffOffice] = pick(ROUTES);
  const dates = pick(DATES);
  const first = pick(FIRST_NAMES);
  const last = pick(LAST_NAMES);
  return {
    supplier_code: pick(SUPPLIERS),
    pickup: { office_code: pickupOffice, at: dates.pickup },
    dropoff: { office_code: dropoffOffice, at: dates.dropoff },
    car_category: 'CDMR',
    customer: {
      first_name: first,
      last_name: last,
      email: `bench+${randomBytes(4).toString('hex')}@example.com`,
      phone: '+34600111222',
    },
    price: { amount: 15000 + Math.floor(Math.random() * 10000), currency: 'EUR' },
  };
}

// ---------------------------------------------------------------------------------------------
// Database, app process

function databaseUrl(database) {
  const url = new URL(SERVER_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function createDatabase() {
  const now = new Date();
  const stamp =
    `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}` +
    `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}_${process.pid}`;
  const name = `rsv_bench_${stamp}`;
  state.admin = await mysql.createConnection({ uri: SERVER_URL });
  await state.admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  state.database = name;
  log(`created database ${name}`);
  return name;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function startApp(database, port) {
  if (!fs.existsSync(APP_ENTRY)) throw new Error(`${APP_ENTRY} not found: run \`npm run build\` first`);
  const args = [];
  if (CPU_PROF) {
    fs.mkdirSync(CPU_PROF_DIR, { recursive: true });
    args.push('--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`);
  }
  args.push(APP_ENTRY);
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl(database),
    DATABASE_SEED_ON_START: 'true',
    DATABASE_POOL_SIZE: String(POOL_SIZE),
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    // One load generator is one client address: lift the per-address limits for the measurement.
    RATE_LIMIT_CREATE_PER_MINUTE: '1000000',
    RATE_LIMIT_LOOKUP_PER_MINUTE: '1000000',
  };
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk) => (state.childOut = tail(state.childOut + chunk)));
  child.stderr.on('data', (chunk) => (state.childErr = tail(state.childErr + chunk)));
  state.child = child;
  state.childExited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  log(`started API pid ${child.pid} on port ${port} (pool ${POOL_SIZE}${CPU_PROF ? `, --cpu-prof to ${CPU_PROF_DIR}` : ''})`);
  return child;
}

function httpStatus(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

async function waitUntilReady(port) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited = null;
  state.childExited.then((info) => (exited = info));
  while (Date.now() < deadline) {
    if (exited) break;
    if ((await httpStatus(`http://127.0.0.1:${port}/health/ready`)) === 200) return;
    await sleep(250);
  }
  const why = exited
    ? `the API exited before it was ready (code ${exited.code}, signal ${exited.signal})`
    : `GET /health/ready did not answer 200 within ${READY_TIMEOUT_MS / 1000} s`;
  const error = new Error(why);
  error.appFailed = true;
  throw error;
}

async function stopApp() {
  const child = state.child;
  if (!child) return;
  state.child = null;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM'); // Nest's shutdown hooks close the pool; --cpu-prof writes its file on exit
  const killed = await Promise.race([state.childExited, sleep(15_000).then(() => null)]);
  if (!killed) {
    log('API did not stop within 15 s of SIGTERM: SIGKILL');
    child.kill('SIGKILL');
    await state.childExited;
  }
}

async function dropDatabase() {
  if (!state.admin) return;
  try {
    if (state.database) {
      await state.admin.query(`DROP DATABASE IF EXISTS \`${state.database}\``);
      log(`dropped database ${state.database}`);
      state.database = null;
    }
  } finally {
    await state.admin.end().catch(() => undefined);
    state.admin = null;
  }
}

function cleanup() {
  if (!state.cleaning) {
    state.cleaning = (async () => {
      if (state.cannon) {
        // Let autocannon close its sockets before the API goes away (it stops on its next tick).
        const done = new Promise((resolve) => state.cannon.once('done', resolve));
        state.cannon.stop();
        await Promise.race([done, sleep(2000)]);
      }
      await stopApp().catch((error) => log(`stopping the API failed: ${error.message}`));
      await dropDatabase().catch((error) => log(`dropping ${state.database} failed: ${error.message}`));
    })();
  }
  return state.cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

// ---------------------------------------------------------------------------------------------
// Load

/**
 * One autocannon run. Every request gets a fresh Idempotency-Key and body; the keys answered
 * with 2xx are collected (pipelining 1, so a connection's context holds its in-flight key).
 */
function drive(port, durationS, acknowledged, responseTimes) {
  return new Promise((resolve, reject) => {
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
              context.key = key;
              req.headers['idempotency-key'] = key;
              req.body = JSON.stringify(reservationBody());
              return req;
            },
            onResponse(status, _body, context) {
              if (status >= 200 && status < 300 && acknowledged) acknowledged.add(context.key);
            },
          },
        ],
      },
      (error, result) => {
        state.cannon = null;
        if (error) reject(error);
        else resolve(result);
      },
    );
    state.cannon = instance;
    if (responseTimes) instance.on('response', (_client, _status, _bytes, ms) => responseTimes.push(ms));
    const firstErrors = new Map();
    instance.on('reqError', (error) => {
      const key = error && error.code ? error.code : String(error && error.message);
      firstErrors.set(key, (firstErrors.get(key) || 0) + 1);
    });
    instance.on('done', () => {
      if (firstErrors.size > 0) log(`request errors: ${JSON.stringify(Object.fromEntries(firstErrors))}`);
    });
  });
}

/** Nearest-rank percentile of an unsorted array (sorted in place). */
function percentile(values, p) {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * values.length));
  return Math.round(values[rank - 1] * 100) / 100;
}

async function scalar(conn, sql, params = []) {
  const [rows] = await conn.query(sql, params);
  return Number(Object.values(rows[0])[0]);
}

const STATUS_COUNTERS = ['Questions', 'Com_begin', 'Com_commit', 'Com_insert', 'Com_update', 'Com_select', 'Innodb_data_fsyncs'];

async function serverStatus(conn) {
  const [rows] = await conn.query('SHOW GLOBAL STATUS WHERE Variable_name IN (?)', [STATUS_COUNTERS]);
  return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
}

/** Waits until the row count stops moving: requests cut off when autocannon stops still commit. */
async function settledCount(conn) {
  let previous = -1;
  for (let i = 0; i < 40; i++) {
    const count = await scalar(conn, 'SELECT COUNT(*) FROM reservations');
    if (count === previous) return count;
    previous = count;
    await sleep(250);
  }
  return previous;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const database = await createDatabase();
  const port = await freePort();
  startApp(database, port);
  await waitUntilReady(port);
  log('API ready');

  const db = await mysql.createConnection({ uri: databaseUrl(database) });
  try {
    log(`warm-up ${WARMUP_S} s, ${CONNECTIONS} connections`);
    const warmup = await drive(port, WARMUP_S, null, null);
    await settledCount(db);
    const baselineId = await scalar(db, 'SELECT COALESCE(MAX(id), 0) FROM reservations');

    log(`measuring ${DURATION_S} s, ${CONNECTIONS} connections`);
    const acknowledged = new Set();
    const responseTimes = [];
    const statusBefore = await serverStatus(db);
    const result = await drive(port, DURATION_S, acknowledged, responseTimes);

    await settledCount(db);
    const statusAfter = await serverStatus(db);
    const rows = await scalar(db, 'SELECT COUNT(*) FROM reservations WHERE id > ?', [baselineId]);
    const distinctCodes = await scalar(db, 'SELECT COUNT(DISTINCT code) FROM reservations WHERE id > ?', [baselineId]);
    const allRows = await scalar(db, 'SELECT COUNT(*) FROM reservations');
    const allDistinctCodes = await scalar(db, 'SELECT COUNT(DISTINCT code) FROM reservations');
    const [keyRows] = await db.query('SELECT idempotency_key FROM reservations WHERE id > ?', [baselineId]);
    const stored = new Set(keyRows.map((r) => r.idempotency_key));
    let acknowledgedMissing = 0;
    for (const key of acknowledged) if (!stored.has(key)) acknowledgedMissing++;

    const twoxx = result['2xx'];
    const errors = result.errors + result.non2xx; // autocannon's errors include its timeouts
    const latency = result.latency;
    const p95 = latency.p95 !== undefined ? latency.p95 : percentile(responseTimes, 95);
    const reqPerS = result.requests.average;
    const inFlightAtStop = Math.max(0, result.requests.sent - result.requests.total - result.errors);

    const output = {
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
      status_codes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, v]) => [code, v.count])),
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
      warmup: { duration_s: WARMUP_S, requests_total: warmup.requests.total, responses_2xx: warmup['2xx'], errors: warmup.errors + warmup.non2xx },
      config: { pool_size: POOL_SIZE, pipelining: 1, cpu_profiled: CPU_PROF },
      host: { cpus: os.cpus().length, cpu_model: (os.cpus()[0] || {}).model, load_generator: 'autocannon ' + require('autocannon/package.json').version + ', same host' },
      notes: [
        'latency covers every response (autocannon default); p50/p90/p97_5/p99/max/mean from autocannon',
        latency.p95 !== undefined ? 'p95 from autocannon' : 'autocannon 8 reports no p95: p95 is the nearest-rank value over the per-response times recorded by this script',
        'rows = reservations inserted during the measured run (warm-up excluded); requests cut off when the run stops may commit without a counted 2xx (see checks.in_flight_at_stop)',
        'meets_target requires req_per_s >= target, p99 <= target and zero errors',
      ],
    };

    const line = JSON.stringify(output);
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    fs.mkdirSync(PERF_DIR, { recursive: true });
    fs.appendFileSync(path.join(PERF_DIR, 'create.jsonl'), `${line}\n`);
    fs.writeFileSync(path.join(PERF_DIR, 'create-latest.json'), `${JSON.stringify(output, null, 2)}\n`);
    if (state.childErr.trim()) log(`API stderr during the run:\n${tail(state.childErr, 4000)}`);
  } finally {
    await db.end().catch(() => undefined);
  }
}

main()
  .then(async () => {
    await cleanup();
    if (CPU_PROF) log(`CPU profile(s) in ${CPU_PROF_DIR}; summarise with: node bench/cpu-profile-summary.js`);
    process.exit(0);
  })
  .catch(async (error) => {
    log(`FAILED: ${error && error.stack ? error.stack : error}`);
    if (error && error.appFailed) {
      process.stderr.write(`----- API stderr -----\n${state.childErr || '(empty)'}\n`);
      process.stderr.write(`----- API stdout (tail) -----\n${tail(state.childOut, 8000) || '(empty)'}\n`);
    }
    await cleanup();
    process.exit(1);
  });
