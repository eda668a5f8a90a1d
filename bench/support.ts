/** Shared by the benchmarks: a throw-away database, the built API, seeded reservations, percentiles, the reports. */
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, createConnection } from 'mysql2/promise';
import { RESERVATION_CODE_ALPHABET } from '@app/reservations';

export const ROOT = join(__dirname, '..');
/** Receipt e-mails of the benchmarked API (.eml files, no SMTP_URL): out of the working tree, removed at stop. */
const MAIL_DIR = join(tmpdir(), `reservations-bench-mail-${process.pid}`);
export const SERVER = (process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/+$/, '');
/** BENCH_CPU_PROF=1 (or true, yes): the API runs with --cpu-prof; `node bench/cpu-profile-summary.js` summarises. */
export const CPU_PROF = ['1', 'true', 'yes'].includes((process.env.BENCH_CPU_PROF ?? '').toLowerCase());
export const CPU_PROF_DIR = '/tmp/bench-prof';

/**
 * Runs `work` on a fresh database `rsv_bench_<name>_<time>` (utf8mb4_unicode_ci, as docker-compose.yml and the tests),
 * dropped afterwards (also on failure) unless BENCH_KEEP_DATABASE=1.
 */
export async function withDatabase<T>(name: string, work: (url: string) => Promise<T>): Promise<T> {
  const database = `rsv_bench_${name}_${Date.now()}`;
  const admin = await createConnection({ uri: SERVER });
  await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  try {
    return await work(`${SERVER}/${database}`);
  } finally {
    if (process.env.BENCH_KEEP_DATABASE === '1') process.stderr.write(`kept database ${database}\n`);
    else await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
  }
}

/** A TCP port free on 127.0.0.1 just now. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

/** The last 64 KiB of each API's stderr, for failure reports. */
const stderrTails = new WeakMap<ChildProcess, () => string>();

/** What the API has written to its stderr so far (its last 64 KiB). */
export function apiStderr(api: ChildProcess): string {
  return stderrTails.get(api)?.() ?? '';
}

/** The build `startApi` starts, relative to ROOT: `dist`, or another build beside it (`bench/ceiling.ts`). */
export const apiBuild = { dir: 'dist' };

/**
 * Starts `dist/apps/api/src/main.js` (or `apiBuild.dir`'s) and waits for /health/ready (60 s at most; the API is stopped and its stderr
 * thrown if it is not ready by then); BENCH_CPU_PROF=1 profiles it.
 */
export async function startApi(port: number, env: Record<string, string>): Promise<ChildProcess> {
  const profile = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, join(ROOT, apiBuild.dir, 'apps/api/src/main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_SEED_ON_START: 'true',
      DATABASE_POOL_SIZE: '20',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      SANDBOX: 'false',
      STRIPE_SECRET_KEY: 'sk_test_bench',
      STRIPE_API_BASE: 'http://127.0.0.1:9',
      // Outside the sandbox the API refuses to start without them; benchmarks that book pass simulators.
      SUPPLIER_HERTZ_URL: 'http://127.0.0.1:9',
      SUPPLIER_BUDGET_URL: 'http://127.0.0.1:9',
      SUPPLIER_EUROPCAR_URL: 'http://127.0.0.1:9',
      PAYMENT_JOBS_INTERVAL_MS: '3600000',
      // Per-IP limits would turn the load generator (one IP) into 429s: measure the API, not them.
      RATE_LIMIT_CREATE_PER_MINUTE: '1000000',
      RATE_LIMIT_LOOKUP_PER_MINUTE: '1000000',
      MAIL_DIR,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr = (stderr + String(chunk)).slice(-64 * 1024)));
  stderrTails.set(child, () => stderr);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`API exited (code ${child.exitCode}, signal ${child.signalCode}): ${stderr}`);
    }
    if (Date.now() > deadline) {
      await stopApi(child);
      throw new Error(`API not ready within 60 s: ${stderr}`);
    }
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false);
    if (ready) return child;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** SIGTERM (Nest's shutdown hooks close the pool; --cpu-prof writes its file on exit), SIGKILL 15 s later. */
export async function stopApi(api: ChildProcess | undefined): Promise<void> {
  if (!api || api.exitCode !== null || api.signalCode !== null) return;
  const exited = new Promise((resolve) => api.once('exit', resolve));
  api.kill('SIGTERM');
  const timer = setTimeout(() => {
    process.stderr.write(`API pid ${api.pid} did not stop within 15 s of SIGTERM: SIGKILL\n`);
    api.kill('SIGKILL');
  }, 15_000);
  await exited;
  clearTimeout(timer);
  rmSync(MAIL_DIR, { recursive: true, force: true });
}

/**
 * Reservations waiting for their payment, written straight to the database (creation is not measured).
 * `first` numbers a further batch in the same database; the i-th has code benchCode(i), `pi_bench_<i>`.
 */
export async function insertReservations(
  db: Connection,
  count: number,
  supplierOf: (i: number) => string = () => 'HERTZ',
  first = 0,
): Promise<string[]> {
  const codes = Array.from({ length: count }, (_, i) => benchCode(first + i));
  const now = new Date();
  const pickup = new Date(now.getTime() + 30 * 86_400_000);
  const dropoff = new Date(pickup.getTime() + 4 * 86_400_000);
  for (let start = 0; start < count; start += 1000) {
    const rows = codes.slice(start, start + 1000).map((code, i) => [
      code, 'PAYMENT_IN_PROGRESS', supplierOf(start + i), 'MAD-T4', '2027-03-01T10:00', 'Europe/Madrid', pickup, 'BCN-T1', '2027-03-05T10:00',
      'Europe/Madrid', dropoff, 'CDMR', 'Ana', 'Pérez', 'ana@example.com', '+34600111222', 18950, 'EUR', `pi_bench_${first + start + i}`, 1, now, now,
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

/** `B` and i in base 32 over the codes' alphabet: a code GET /reservations/{code} accepts. */
export function benchCode(i: number): string {
  let code = '';
  for (let rest = i, digit = 0; digit < 7; digit++, rest = Math.floor(rest / 32)) code = RESERVATION_CODE_ALPHABET[rest % 32] + code;
  return `B${code}`;
}

/** A `payment_intent.succeeded` event for the i-th inserted reservation. */
export function succeededEvent(code: string, i: number) {
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

/** Appends to `docs/perf/<name>.jsonl` and writes `docs/perf/<name>-latest.json`. */
export function writeReport(name: string, report: object): void {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  // A run inside another benchmark (bench/tracing.ts): printed for it, not kept as a run of its own.
  if (process.env.BENCH_NO_WRITE === '1') return;
  const dir = join(ROOT, 'docs', 'perf');
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, `${name}.jsonl`), `${JSON.stringify(report)}\n`);
  writeFileSync(join(dir, `${name}-latest.json`), `${JSON.stringify(report, null, 2)}\n`);
}

/** The median of `values` (the mean of the two middle ones when their number is even). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** `part ÷ whole` to two decimals; null when either is unknown or the whole is 0. */
export function ratio(part: number | null, whole: number | null): number | null {
  return part !== null && whole !== null && whole > 0 ? Math.round((part / whole) * 100) / 100 : null;
}

/** Nearest-rank percentile of sorted numbers. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** What one run of bench/create.ts reports (the fields the paired benchmarks compare). */
export interface CreateRun {
  req_per_s: number;
  latency_ms: { p50: number; p99: number };
  errors: number;
}

/**
 * One run of bench/create.ts in a process of its own, with exactly this environment (it does not
 * write under docs/perf: BENCH_NO_WRITE); its report, parsed from its stdout. For benchmarks that
 * compare the create path with a feature off and on, run back to back.
 */
export function runCreateBenchmark(env: Record<string, string>): Promise<CreateRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(ROOT, 'bench', 'create.ts')], {
      cwd: ROOT,
      env: { ...env, BENCH_NO_WRITE: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`bench/create.ts exited with ${code}`));
      try {
        resolve(JSON.parse(stdout.slice(stdout.indexOf('{'))) as CreateRun);
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}
