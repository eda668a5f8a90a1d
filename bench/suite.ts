/**
 * `npm run bench`: load, stress and soak of the built API, written up in docs/perf/REPORT.md.
 *
 * 1. Sweep: create, lookup and webhook, each on its own API process and throw-away database,
 *    driven by autocannon (closed loop) at 1…256 connections; req/s, p50/p95/p99, errors; the
 *    breaking point of each.
 * 2. Seed targets: p95 < 500 ms at 100 connections; 1,000 simultaneous creations give 1,000
 *    distinct codes and no error, checked in MySQL.
 * 3. Soak: a steady mixed load (open loop, evenly spaced) on the whole application, outbox,
 *    bookings and receipts included; the API's memory and latency sampled at intervals.
 *
 * Prints JSON; appends to docs/perf/suite.jsonl, writes docs/perf/suite-latest.json,
 * docs/perf/sweep.svg, docs/perf/soak.svg and docs/perf/REPORT.md.
 * Knobs: BENCH_STEP_SECONDS (10), BENCH_SOAK_SECONDS (600), BENCH_SOAK_RATE (50 req/s),
 * BENCH_QUICK=1 (levels 1, 8, 64; 3-s steps; 30-s soak: a smoke test), BENCH_DATABASE_URL.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { Connection, createConnection } from 'mysql2/promise';
import { Agent, request } from 'undici';
import { signStripePayload, StripeSandbox, SupplierSimulator } from '@app/sandbox';
import { SoakSample as ChartSoakSample, soakChart, sweepChart, SweepLevel } from './chart';
import { insertReservations, percentile, ROOT, SERVER, startApi, stopApi, succeededEvent, withDatabase, writeReport } from './support';

const QUICK = process.env.BENCH_QUICK === '1';
const LEVELS = QUICK ? [1, 8, 64] : [1, 2, 4, 8, 16, 32, 64, 100, 128, 256];
const STEP_S = Number(process.env.BENCH_STEP_SECONDS ?? (QUICK ? 3 : 10));
const WARMUP_S = QUICK ? 1 : 3;
const SOAK_S = Number(process.env.BENCH_SOAK_SECONDS ?? (QUICK ? 30 : 600));
const SOAK_RATE = Number(process.env.BENCH_SOAK_RATE ?? 50);
const SAMPLE_S = Math.min(10, SOAK_S / 6);
/** One create, three lookups, one webhook: what customers do most is look their booking up. */
const SOAK_MIX: Kind[] = ['create', 'lookup', 'lookup', 'lookup', 'webhook'];
const SEED = { users: 100, p95_ms: 500, simultaneous: 1000 };
const LOOKUP_POOL = 20_000;
/** Above any webhook rate seen on this machine (~860/s): sizes each level's fresh reservations. */
const WEBHOOKS_PER_S_MAX = 2000;
const SECRET = 'whsec_bench_secret';
const METRICS_TOKEN = 'bench-metrics-token-0000';
const SUPPLIERS = ['HERTZ', 'BUDGET', 'EUROPCAR'] as const;
const PERF = join(ROOT, 'docs', 'perf');

type Kind = 'create' | 'lookup' | 'webhook';
interface Call {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}
interface Step extends SweepLevel {
  seconds: number;
  requests: number;
  latency_ms: { p50: number; p95: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non_2xx: number;
  api_cpu_pct: number | null;
}
interface SoakSample extends ChartSoakSample {
  memory_source: string;
  api_cpu_pct: number | null;
  errors: number;
}

let interrupted = false;
const running = new Set<autocannon.Instance>();

async function main(): Promise<void> {
  // BENCH_REPORT_ONLY=1: render the report and charts again from suite-latest.json (no load).
  const reportOnly = process.env.BENCH_REPORT_ONLY === '1';
  if (!reportOnly) log(`levels ${LEVELS.join(', ')}; about ${Math.ceil((3 * LEVELS.length * (WARMUP_S + STEP_S + 1) + SOAK_S + 60) / 60)} min`);
  const result = reportOnly ? rejudge(JSON.parse(readFileSync(join(PERF, 'suite-latest.json'), 'utf8')) as Suite) : await runSuite();
  if (!reportOnly) writeReport('suite', result);
  const sweepSvg = sweepChart(
    result.endpoints.map((e) => ({ name: e.endpoint, levels: e.levels, breakingPoint: e.breaking_point?.concurrency ?? null })),
    SEED.p95_ms,
  );
  writeFileSync(join(PERF, 'sweep.svg'), sweepSvg);
  writeFileSync(join(PERF, 'soak.svg'), soakChart(result.soak.samples, SOAK_S));
  writeFileSync(join(PERF, 'REPORT.md'), renderReport(result));
  log(`wrote docs/perf/REPORT.md, sweep.svg and soak.svg; ${result.seconds} s in all`);
}

/** A stored run judged with the current rules (breaking points). */
function rejudge(suite: Suite): Suite {
  return { ...suite, endpoints: suite.endpoints.map((endpoint) => ({ ...endpoint, breaking_point: breakingPoint(endpoint.levels) })) };
}

async function runSuite() {
  const started = Date.now();
  // Stripe and the suppliers run here, not in the API: their in-memory state is not the API's memory.
  const stripe = new StripeSandbox({ webhookSecret: SECRET });
  const simulators = SUPPLIERS.map((code) => new SupplierSimulator(code));
  const stripeUrl = (await stripe.start()).url;
  const supplierUrls = await Promise.all(simulators.map((simulator) => simulator.start()));
  try {
    const services = {
      STRIPE_API_BASE: stripeUrl,
      ...Object.fromEntries(SUPPLIERS.map((code, i) => [`SUPPLIER_${code}_URL`, supplierUrls[i].url])),
    };
    const host = await environment();
    const endpoints = [];
    for (const kind of ['create', 'lookup', 'webhook'] as const) endpoints.push(await sweep(kind, services));
    stripe.reset();
    const soak = await soakTest(services);
    const level = LEVELS.reduce((best, c) => (Math.abs(c - SEED.users) < Math.abs(best - SEED.users) ? c : best));
    return {
      benchmark: 'suite',
      date: new Date().toISOString(),
      quick: QUICK,
      config: { levels: LEVELS, step_s: STEP_S, warmup_s: WARMUP_S, soak_s: SOAK_S, soak_rate_per_s: SOAK_RATE, soak_mix: SOAK_MIX, sample_s: SAMPLE_S },
      host,
      endpoints,
      seed_targets: {
        p95_at_100_users: {
          level,
          target_ms: SEED.p95_ms,
          endpoints: endpoints.map((e) => {
            const p95 = e.levels.find((l) => l.concurrency === level)!.latency_ms.p95;
            return { endpoint: e.endpoint, p95_ms: p95, met: p95 < SEED.p95_ms };
          }),
        },
        simultaneous_creations: endpoints.find((e) => e.endpoint === 'create')!.simultaneous!,
      },
      soak,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await stripe.stop();
    await Promise.all(simulators.map((simulator) => simulator.stop()));
  }
}

type Suite = Awaited<ReturnType<typeof runSuite>>;

/** One endpoint at every level, on one API process and one database. */
async function sweep(kind: Kind, services: Record<string, string>) {
  return withDatabase(`suite_${kind}`, async (url) => {
    const port = await freePort();
    // The webhook alone, not the bookings its events start (as bench/webhook.ts).
    const api = await startApi(port, { ...apiEnv(url, services), ...(kind === 'webhook' ? { OUTBOX_ENABLED: 'false' } : {}) });
    const db = await createConnection({ uri: url, timezone: 'Z' });
    try {
      const pool = new ReservationPool(db);
      if (kind === 'lookup') await pool.keepUnpaid(LOOKUP_POOL);
      const next = { create: createCall, lookup: () => pool.lookup(), webhook: () => pool.webhook() }[kind];
      const levels: Step[] = [];
      for (const connections of LEVELS) {
        // A reservation is paid once: every level pays fresh ones.
        if (kind === 'webhook') await pool.keepUnpaid(WEBHOOKS_PER_S_MAX * (WARMUP_S + STEP_S));
        await drive(port, connections, WARMUP_S, next);
        const step = await drive(port, connections, STEP_S, next, api.pid);
        levels.push(step);
        const { p50, p95, p99 } = step.latency_ms;
        log(`${kind} ×${connections}: ${step.req_per_s} req/s, p50 ${p50} p95 ${p95} p99 ${p99} ms, errors ${step.errors}, non-2xx ${step.non_2xx}`);
        await sleep(1000);
      }
      const simultaneous = kind === 'create' ? await simultaneousCreations(port, db) : undefined;
      const [[table]] = (await db.query('SELECT COUNT(*) AS n, COUNT(DISTINCT code) AS codes FROM reservations')) as unknown as [[{ n: number; codes: number }]];
      return {
        endpoint: kind,
        levels,
        breaking_point: breakingPoint(levels),
        reservations: { rows: Number(table.n), distinct_codes: Number(table.codes) },
        repeated_webhooks: pool.repeated,
        simultaneous,
      };
    } finally {
      await db.end();
      await stopApi(api);
    }
  });
}

function apiEnv(url: string, services: Record<string, string>): Record<string, string> {
  return { DATABASE_URL: url, STRIPE_WEBHOOK_SECRET: SECRET, METRICS_TOKEN, ...services };
}

/**
 * The lowest level from which on every level fails: p99 over 1 s, errors, or req/s below 90 %
 * of the best of the sweep. A dip that later levels recover from is the noise of a shared
 * 2-core machine, not a break; its reasons are kept in `dips`.
 */
function breakingPoint(levels: Step[]): { concurrency: number; reason: string } | null {
  const best = Math.max(...levels.map((level) => level.req_per_s));
  const failures = levels.map((level) => {
    const reasons = [];
    if (level.latency_ms.p99 > 1000) reasons.push(`p99 ${num(level.latency_ms.p99)} ms > 1 s`);
    if (level.errors + level.non_2xx > 0) reasons.push(`${num(level.errors)} errors, ${num(level.non_2xx)} non-2xx`);
    if (level.req_per_s < 0.9 * best) reasons.push(`${num(level.req_per_s)} req/s < 90 % of the best, ${num(best)}`);
    return reasons;
  });
  let first = levels.length;
  while (first > 0 && failures[first - 1].length > 0) first--;
  return first < levels.length ? { concurrency: levels[first].concurrency, reason: failures[first].join('; ') } : null;
}

/** Closed loop: each connection sends its next request when the previous one is answered. */
async function drive(port: number, connections: number, seconds: number, next: () => Call, pid?: number): Promise<Step> {
  if (interrupted) throw new Error('interrupted');
  const times: number[] = [];
  const cpuBefore = pid ? cpuSeconds(pid) : null;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url: `http://127.0.0.1:${port}`, connections, duration: seconds, timeout: 10, requests: [{ setupRequest: (req) => ({ ...req, ...next() }) }] },
      (error: unknown, done: autocannon.Result) => {
        running.delete(instance);
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve(done);
      },
    );
    running.add(instance);
    instance.on('response', (_client, _status, _bytes, ms) => times.push(ms));
  });
  if (interrupted) throw new Error('interrupted');
  const cpuAfter = pid ? cpuSeconds(pid) : null;
  times.sort((a, b) => a - b);
  return {
    concurrency: connections,
    seconds: result.duration,
    requests: result.requests.total,
    req_per_s: round(result.requests.total / result.duration),
    latency_ms: { p50: round(percentile(times, 50)), p95: round(percentile(times, 95)), p99: round(percentile(times, 99)), max: round(times.at(-1) ?? 0) },
    errors: result.errors,
    timeouts: result.timeouts,
    non_2xx: result.non2xx,
    api_cpu_pct: cpuBefore !== null && cpuAfter !== null ? Math.round(((cpuAfter - cpuBefore) / result.duration) * 100) : null,
  };
}

/** SEED.simultaneous creations at once, one socket each; the codes checked in MySQL. */
async function simultaneousCreations(port: number, db: Connection) {
  const agent = new Agent({ connections: SEED.simultaneous });
  const calls = Array.from({ length: SEED.simultaneous }, createCall);
  const started = performance.now();
  const answers = await Promise.all(calls.map((call) => send(agent, port, call)));
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  const keys = calls.map((call) => call.headers['idempotency-key']);
  const [rows] = (await db.query('SELECT code FROM reservations WHERE idempotency_key IN (?)', [keys])) as unknown as [{ code: string }[]];
  const stored = new Set(rows.map((row) => row.code));
  const answered = new Set(answers.filter((a) => a.ok).map((a) => (JSON.parse(a.body) as { reservation_code: string }).reservation_code));
  const created = answers.filter((a) => a.ok).length;
  const times = answers.map((a) => a.ms).sort((a, b) => a - b);
  const sameCodes = answered.size === stored.size && [...answered].every((code) => stored.has(code));
  return {
    requests: calls.length,
    created,
    errors: calls.length - created,
    distinct_codes_answered: answered.size,
    rows: rows.length,
    distinct_codes_in_db: stored.size,
    answers_match_db: sameCodes,
    seconds: round(seconds),
    latency_ms: { p50: round(percentile(times, 50)), p99: round(percentile(times, 99)), max: round(times.at(-1) ?? 0) },
    met: created === calls.length && stored.size === calls.length && rows.length === calls.length && sameCodes,
  };
}

/** The whole application at a steady rate well below its limits: does anything creep up? */
async function soakTest(services: Record<string, string>) {
  const mailDir = mkdtempSync(join(tmpdir(), 'bench-mail-'));
  try {
    return await withDatabase('suite_soak', async (url) => {
      const port = await freePort();
      const api = await startApi(port, { ...apiEnv(url, services), MAIL_DIR: mailDir });
      const db = await createConnection({ uri: url, timezone: 'Z' });
      try {
        const pool = new ReservationPool(db, (i) => SUPPLIERS[i % SUPPLIERS.length]);
        const webhookShare = SOAK_MIX.filter((kind) => kind === 'webhook').length / SOAK_MIX.length;
        await pool.keepUnpaid(Math.ceil(SOAK_RATE * SOAK_S * webhookShare * 1.1) + 100);
        log(`soak: ${SOAK_S} s at ${SOAK_RATE} req/s (${SOAK_MIX.join(', ')})`);
        const { samples, totals } = await steadyLoad(port, api.pid!, pool);
        if (interrupted) throw new Error('interrupted');
        // Whatever the outbox still has in hand finishes before the statuses are counted.
        await sleep(2000);
        const [statuses] = (await db.query('SELECT status, COUNT(*) AS n FROM reservations GROUP BY status ORDER BY status')) as unknown as [{ status: string; n: number }[]];
        return {
          seconds: SOAK_S,
          rate_per_s: SOAK_RATE,
          sample_s: SAMPLE_S,
          totals,
          reservations_by_status: Object.fromEntries(statuses.map((s) => [s.status, Number(s.n)])),
          repeated_webhooks: pool.repeated,
          ...soakVerdict(samples),
          samples,
        };
      } finally {
        await db.end();
        await stopApi(api);
      }
    });
  } finally {
    rmSync(mailDir, { recursive: true, force: true });
  }
}

/** Open loop, evenly spaced (autocannon's rate limit sends each second's requests in one burst). */
async function steadyLoad(port: number, pid: number, pool: ReservationPool) {
  const agent = new Agent({ connections: 64 });
  const totals = Object.fromEntries(SOAK_MIX.map((kind) => [kind, { requests: 0, errors: 0 }]));
  let interval = { times: [] as number[], errors: 0 };
  const inFlight = new Set<Promise<void>>();
  const samples: SoakSample[] = [];
  const started = performance.now();
  const end = started + SOAK_S * 1000;
  const sampler = (async () => {
    let cpuBefore = cpuSeconds(pid);
    for (let k = 1; k * SAMPLE_S <= SOAK_S && !interrupted; k++) {
      await sleep(started + k * SAMPLE_S * 1000 - performance.now());
      if (interrupted) break;
      const { times, errors } = interval;
      interval = { times: [], errors: 0 };
      times.sort((a, b) => a - b);
      const [memory, cpu] = [await readMemory(port, pid), cpuSeconds(pid)];
      samples.push({
        t_s: round(k * SAMPLE_S),
        ...memory,
        api_cpu_pct: cpu !== null && cpuBefore !== null ? Math.round(((cpu - cpuBefore) / SAMPLE_S) * 100) : null,
        req_per_s: round(times.length / SAMPLE_S),
        p50_ms: round(percentile(times, 50)),
        p99_ms: round(percentile(times, 99)),
        errors,
      });
      cpuBefore = cpu;
    }
  })();
  for (let sent = 0; !interrupted; sent++) {
    const due = started + (sent * 1000) / SOAK_RATE;
    if (due >= end) break;
    if (due > performance.now()) await sleep(due - performance.now());
    const kind = SOAK_MIX[sent % SOAK_MIX.length];
    totals[kind].requests++;
    const call = kind === 'create' ? createCall() : kind === 'lookup' ? pool.lookup() : pool.webhook();
    const answer = send(agent, port, call).then(({ ok, ms }) => {
      interval.times.push(ms);
      if (!ok) {
        interval.errors++;
        totals[kind].errors++;
      }
      inFlight.delete(answer);
    });
    inFlight.add(answer);
  }
  await Promise.all(inFlight);
  await sampler;
  await agent.close();
  return { samples, totals };
}

/** Stable: the last third's median RSS at most 15 % above the second third's (a drop after a GC is fine), and its median p99 up by 50 % at most. */
function soakVerdict(samples: SoakSample[]) {
  const third = (k: number) => samples.slice(Math.round((k * samples.length) / 3), Math.round(((k + 1) * samples.length) / 3));
  const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);
  const summary = (part: SoakSample[]) => ({
    rss_mb: median(part.map((s) => s.rss_mb)),
    heap_mb: part.some((s) => s.heap_mb === null) ? null : median(part.map((s) => s.heap_mb!)),
    api_cpu_pct: part.some((s) => s.api_cpu_pct === null) ? null : median(part.map((s) => s.api_cpu_pct!)),
    req_per_s: median(part.map((s) => s.req_per_s)),
    p50_ms: median(part.map((s) => s.p50_ms)),
    p99_ms: median(part.map((s) => s.p99_ms)),
    errors: part.reduce((sum, s) => sum + s.errors, 0),
  });
  const thirds = [summary(third(0)), summary(third(1)), summary(third(2))];
  const rssChange = thirds[2].rss_mb / thirds[1].rss_mb - 1;
  const p99Change = thirds[2].p99_ms / thirds[1].p99_ms - 1;
  const stable = rssChange <= 0.15 && p99Change <= 0.5;
  return { verdict: stable ? 'stable' : 'not stable', rss_change_pct: round(rssChange * 100), p99_change_pct: round(p99Change * 100), thirds };
}

/** Reservations written straight to the database: lookups read any of them, each webhook pays the next unpaid one. */
class ReservationPool {
  private readonly codes: string[] = [];
  private paid = 0;
  /** Webhooks sent again for want of unpaid reservations: should stay 0, or the figures mean little. */
  repeated = 0;

  constructor(
    private readonly db: Connection,
    private readonly supplierOf?: (i: number) => string,
  ) {}

  async keepUnpaid(count: number): Promise<void> {
    const missing = count - (this.codes.length - this.paid);
    if (missing > 0) this.codes.push(...(await insertReservations(this.db, missing, this.supplierOf, this.codes.length)));
  }

  lookup(): Call {
    const code = this.codes[Math.floor(Math.random() * this.codes.length)];
    return { method: 'GET', path: `/api/v1/reservations/${code}?email=ana%40example.com`, headers: { accept: 'application/json' } };
  }

  webhook(): Call {
    if (this.paid >= this.codes.length) this.repeated++;
    const i = this.paid++ % this.codes.length;
    const body = JSON.stringify(succeededEvent(this.codes[i], i));
    return {
      method: 'POST',
      path: '/api/v1/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': signStripePayload(body, SECRET) },
      body,
    };
  }
}

/** A valid new reservation (every supplier rents CDMR in EUR at both offices), ~60 days ahead, 4 days. */
function createCall(): Call {
  const n = Math.floor(Math.random() * 1e9);
  const day = (ahead: number) => `${new Date(Date.now() + ahead * 86_400_000).toISOString().slice(0, 10)}T10:00`;
  const offices = ['MAD-T4', 'BCN-T1'];
  const body = {
    supplier_code: SUPPLIERS[n % 3],
    pickup: { office_code: offices[n % 2], at: day(57 + (n % 7)) },
    dropoff: { office_code: offices[(n >> 1) % 2], at: day(61 + (n % 7)) },
    car_category: 'CDMR',
    customer: { first_name: 'Ana', last_name: 'Pérez', email: `bench+${n}@example.com`, phone: '+34600111222' },
    price: { amount: 15_000 + (n % 10_000), currency: 'EUR' },
  };
  const headers = { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': randomUUID() };
  return { method: 'POST', path: '/api/v1/reservations', headers, body: JSON.stringify(body) };
}

let sendFailed = false;

async function send(agent: Agent, port: number, { method, path, headers, body }: Call): Promise<{ ok: boolean; ms: number; body: string }> {
  const sent = performance.now();
  try {
    const response = await request(`http://127.0.0.1:${port}${path}`, { method, headers, body, dispatcher: agent, headersTimeout: 60_000, bodyTimeout: 60_000 });
    const text = await response.body.text();
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    if (!ok && !sendFailed) log(`${method} ${path.split('?')[0]}: ${response.statusCode} ${text.slice(0, 200)} (first of possibly many)`);
    sendFailed ||= !ok;
    return { ok, ms: performance.now() - sent, body: text };
  } catch (error) {
    if (!sendFailed) log(`request failed (first of possibly many): ${error instanceof Error ? error.message : String(error)}`);
    sendFailed = true;
    return { ok: false, ms: performance.now() - sent, body: '' };
  }
}

/** From GET /metrics (prom-client) when the API has it, else the RSS from `ps` (no heap figure then). */
async function readMemory(port: number, pid: number): Promise<{ rss_mb: number; heap_mb: number | null; memory_source: string }> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then(
    (response) => (response.ok ? response.text() : ''),
    () => '',
  );
  const metric = (name: string) => {
    const match = new RegExp(`^${name} (\\S+)`, 'm').exec(text);
    return match ? round(Number(match[1]) / 1048576) : null;
  };
  const rss = metric('process_resident_memory_bytes');
  if (rss !== null) return { rss_mb: rss, heap_mb: metric('nodejs_heap_size_used_bytes'), memory_source: '/metrics' };
  // A process that is gone has no RSS: the soak goes on, its errors tell the story.
  const { stdout } = await promisify(execFile)('ps', ['-o', 'rss=', '-p', String(pid)]).catch(() => ({ stdout: '0' }));
  return { rss_mb: round(Number(stdout.trim()) / 1024), heap_mb: null, memory_source: 'ps' };
}

/** CPU seconds the process has used, from /proc (Linux; clock ticks of 1/100 s); null elsewhere. */
function cpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

async function environment() {
  const admin = await createConnection({ uri: SERVER });
  const [[{ version }]] = (await admin.query('SELECT VERSION() AS version')) as unknown as [[{ version: string }]];
  await admin.end();
  return {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    load_average_at_start: loadavg().map((value) => round(value)),
    busy_before_start_pct: await busyPercent(2000),
    node: process.version,
    mariadb: version,
    autocannon: (JSON.parse(readFileSync(require.resolve('autocannon/package.json'), 'utf8')) as { version: string }).version,
    api_processes: 1,
    database_pool_size: 20,
  };
}

/** How busy the machine's CPUs are (all of them, 0–100) over `ms`, from /proc/stat: other work skews every figure. */
async function busyPercent(ms: number): Promise<number | null> {
  const read = () => {
    try {
      const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
      return { idle: ticks[3] + ticks[4], total: ticks.reduce((sum, t) => sum + t, 0) };
    } catch {
      return null;
    }
  };
  const before = read();
  await sleep(ms);
  const after = read();
  if (!before || !after || after.total === before.total) return null;
  return Math.round(100 * (1 - (after.idle - before.idle) / (after.total - before.total)));
}

/** docs/perf/REPORT.md: what a reader needs to judge the run, figures first, definitions last. */
function renderReport(suite: Suite): string {
  const { config, host, soak, seed_targets: seed } = suite;
  const simultaneous = seed.simultaneous_creations;
  const yes = (met: boolean) => (met ? 'met' : '**not met**');
  const lines = [
    '# Load, stress and soak report',
    '',
    `Generated by \`npm run bench\` (\`bench/suite.ts\`) on ${suite.date.slice(0, 16).replace('T', ' ')} UTC, in ${minutes(suite.seconds)}; the next run rewrites this file.`,
    ...((host.busy_before_start_pct ?? 0) > 25
      ? ['', `> **The machine was busy**: ${host.busy_before_start_pct} % of its CPUs in use just before the start (load average ${host.load_average_at_start[0]}). Other work competed with the API, MariaDB and the load generator: these figures understate the API. Run again with nothing else running.`]
      : []),
    ...(suite.quick ? ['', `> **Quick run** (\`BENCH_QUICK=1\`): levels ${config.levels.join(', ')}, ${config.step_s}-s steps, ${config.soak_s}-s soak. A smoke test of the suite, not figures to compare or quote.`] : []),
    '',
    '## Summary',
    '',
    table(['check', 'result', 'target', 'verdict'], [
      ...seed.p95_at_100_users.endpoints.map((e) => [
        `p95, ${e.endpoint}, ${seed.p95_at_100_users.level} connections`, `${num(e.p95_ms)} ms`, `< ${seed.p95_at_100_users.target_ms} ms at 100`, yes(e.met),
      ]),
      [
        `${num(simultaneous.requests)} simultaneous creations`,
        `${num(simultaneous.created)} created, ${num(simultaneous.distinct_codes_in_db)} distinct codes in MySQL, ${num(simultaneous.errors)} errors`,
        `${num(simultaneous.requests)} distinct codes, 0 errors`,
        yes(simultaneous.met),
      ],
      ...suite.endpoints.map((e) => [
        `breaking point, ${e.endpoint}`,
        e.breaking_point ? `${e.breaking_point.concurrency} connections: ${e.breaking_point.reason}` : `not reached up to ${config.levels.at(-1)}`,
        'from here on every level: p99 > 1 s, errors, or < 90 % of the best req/s',
        '',
      ]),
      [
        `soak, ${minutes(soak.seconds)} at ${soak.rate_per_s} req/s`,
        `${soak.verdict}: RSS ${signed(soak.rss_change_pct)} %, p99 ${signed(soak.p99_change_pct)} %, ${soakErrors(suite)} errors`,
        'RSS up ≤ 15 %, p99 up ≤ 50 % (last third against the second)',
        soak.verdict === 'stable' ? 'met' : '**not met**',
      ],
    ]),
    '',
    '## Environment',
    '',
    `- ${host.cpus} CPUs (${host.cpu_model}) shared by the load generator, the API and MariaDB; just before the start ${host.busy_before_start_pct ?? '?'} % busy, load average ${host.load_average_at_start.join(' / ')} (1 / 5 / 15 min, the build included).`,
    `- Node ${host.node}, MariaDB ${host.mariadb}, autocannon ${host.autocannon}; one API process (\`dist/apps/api/src/main.js\`, pool of ${host.database_pool_size}), \`NODE_ENV=production\`, \`LOG_LEVEL=warn\`, rate limits lifted.`,
    '- Stripe and the three suppliers are the sandbox simulators, served by the bench process.',
    '',
    '## Sweep',
    '',
    `Each level: ${config.warmup_s} s of warm-up, then ${config.step_s} s measured with autocannon. Closed loop: every connection sends its next request as soon as the previous one is answered (no think time), so *n* connections are harsher than *n* people. Latency is per response, all responses.`,
    '',
    '![Throughput and latency against concurrency](sweep.svg)',
    ...suite.endpoints.flatMap((e) => [
      '',
      `### ${e.endpoint}`,
      '',
      ENDPOINT_NOTES[e.endpoint],
      '',
      table(
        ['connections', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors', 'non-2xx', 'API CPU'],
        e.levels.map((l) => [
          num(l.concurrency), num(l.req_per_s), num(l.latency_ms.p50), num(l.latency_ms.p95), num(l.latency_ms.p99), num(l.latency_ms.max),
          num(l.errors), num(l.non_2xx), l.api_cpu_pct === null ? '' : `${l.api_cpu_pct} %`,
        ]),
      ),
      '',
      `Breaking point: ${e.breaking_point ? `**${e.breaking_point.concurrency} connections** (${e.breaking_point.reason})` : `not reached up to ${config.levels.at(-1)} connections`}. ` +
        `Reservations in the table: ${num(e.reservations.rows)}, distinct codes ${num(e.reservations.distinct_codes)}.` +
        (e.repeated_webhooks > 0 ? ` **${num(e.repeated_webhooks)} webhooks were sent twice for want of fresh reservations: the figures are not valid.**` : ''),
    ]),
    '',
    `## ${num(simultaneous.requests)} simultaneous creations`,
    '',
    `${num(simultaneous.requests)} \`POST /api/v1/reservations\` sent at once, each on its own connection with its own \`Idempotency-Key\`, after the create sweep (same API process and database).`,
    '',
    table(['answered 2xx', 'errors', 'distinct codes answered', 'rows in MySQL', 'distinct codes in MySQL', 'answers = rows', 'all answered in', 'p50 / p99 / max'], [[
      num(simultaneous.created), num(simultaneous.errors), num(simultaneous.distinct_codes_answered), num(simultaneous.rows), num(simultaneous.distinct_codes_in_db),
      simultaneous.answers_match_db ? 'yes' : '**no**', `${simultaneous.seconds} s`,
      `${num(simultaneous.latency_ms.p50)} / ${num(simultaneous.latency_ms.p99)} / ${num(simultaneous.latency_ms.max)} ms`,
    ]]),
    '',
    '## Soak',
    '',
    `${minutes(soak.seconds)} at ${soak.rate_per_s} req/s, evenly spaced (open loop), in the order ${config.soak_mix.join(', ')}, on the whole application: the outbox drainer books each paid reservation with its supplier and issues and mails its receipt (\`.eml\` files in a temporary directory). Sampled every ${soak.sample_s} s; memory from ${soak.samples[0]?.memory_source === '/metrics' ? '`GET /metrics` (prom-client)' : '`ps` (RSS only: the API has no `/metrics` yet)'}.`,
    '',
    `Verdict: **${soak.verdict}**. The median RSS of the last third is ${signed(soak.rss_change_pct)} % from the second third's (limit +15 %); the median p99 ${signed(soak.p99_change_pct)} % (limit +50 %). The first third is the warm-up: caches, JIT, pools.`,
    '',
    '![Soak: memory, latency and throughput against time](soak.svg)',
    '',
    table(['third', 'RSS MB', 'heap MB', 'API CPU', 'req/s', 'p50 ms', 'p99 ms', 'errors'], soak.thirds.map((t, i) => [
      ['first', 'second', 'last'][i], num(t.rss_mb), t.heap_mb === null ? 'n/a' : num(t.heap_mb), t.api_cpu_pct === null ? '' : `${t.api_cpu_pct} %`,
      num(t.req_per_s), num(t.p50_ms), num(t.p99_ms), num(t.errors),
    ])),
    '',
    table(['requests', ...Object.keys(soak.totals)], [
      ['sent', ...Object.values(soak.totals).map((t) => num(t.requests))],
      ['errors', ...Object.values(soak.totals).map((t) => num(t.errors))],
    ]),
    '',
    `Reservations at the end, by status: ${Object.entries(soak.reservations_by_status).map(([status, n]) => `${status} ${num(n)}`).join(', ')}.`,
    '',
    ...otherBenchmarks(),
    '## Definitions',
    '',
    '- **Breaking point**: the lowest level from which on every level has p99 over 1 s, or errors (socket errors, timeouts, non-2xx), or req/s below 90 % of the best of the sweep. A dip that higher levels recover from is noise of the shared machine, not a break.',
    `- **Seed targets**: p95 < ${SEED.p95_ms} ms at ${SEED.users} concurrent users (measured at the closest level, ${seed.p95_at_100_users.level} connections); ${num(SEED.simultaneous)} simultaneous reservations without a code collision.`,
    '- Raw figures: `suite-latest.json` (this run), `suite.jsonl` (every run). Numbers depend on the host: compare runs made on the same machine with nothing else busy.',
    '',
  ];
  return lines.join('\n');
}

interface OutboxRun {
  engine: string;
  processes: number;
  batch_size: number;
  events_per_s: number;
}

/** The latest runs of `bench:outbox` and `bench:booking` (`npm run bench` runs them after the suite). */
function otherBenchmarks(): string[] {
  const latest = <T>(name: string): T | null => {
    try {
      return JSON.parse(readFileSync(join(PERF, `${name}-latest.json`), 'utf8')) as T;
    } catch {
      return null;
    }
  };
  const outbox = latest<{ date: string; events_per_run: number; runs: OutboxRun[] }>('outbox');
  const booking = latest<{
    date: string;
    throughput: { bookings: number; bookings_per_s: number };
    latency: { rate_per_s: number; webhook_to_confirmed_ms: { p50: number; p95: number; p99: number }; webhook_errors: number };
  }>('booking');
  const lines = ['## The outbox and supplier booking', ''];
  if (outbox) {
    lines.push(
      `\`npm run bench:outbox\` (${outbox.date.slice(0, 16).replace('T', ' ')} UTC): ${num(outbox.events_per_run)} due events drained with a no-op handler, against a bare mysql2 claim-and-mark loop. Target: ≥ 2,000 events/s with one process.`,
      '',
      table(['engine', 'processes', 'batch', 'events/s'], outbox.runs.map((run) => [run.engine, String(run.processes), String(run.batch_size), num(run.events_per_s)])),
      '',
    );
  }
  if (booking) {
    const l = booking.latency;
    lines.push(
      `\`npm run bench:booking\` (${booking.date.slice(0, 16).replace('T', ' ')} UTC): the drainer books ${num(booking.throughput.bookings)} paid reservations with the supplier simulators at ${num(booking.throughput.bookings_per_s)} bookings/s; with webhooks evenly spaced at ${num(l.rate_per_s)}/s, webhook to SUPPLIER_CONFIRMED takes p50 ${l.webhook_to_confirmed_ms.p50} ms, p95 ${l.webhook_to_confirmed_ms.p95} ms, p99 ${l.webhook_to_confirmed_ms.p99} ms (${num(l.webhook_errors)} webhook errors). Targets: ≥ 600 bookings/s, p95 ≤ 100 ms.`,
      '',
    );
  }
  return outbox || booking ? lines : [];
}

const ENDPOINT_NOTES: Record<Kind, string> = {
  create: '`POST /api/v1/reservations`, a fresh `Idempotency-Key` and a valid body each; the PaymentIntent is created inline (Stripe sandbox).',
  lookup: `\`GET /api/v1/reservations/{code}?email=\` on ${num(LOOKUP_POOL)} reservations written beforehand, chosen at random.`,
  webhook: 'A signed `payment_intent.succeeded` per reservation, each level on fresh ones; the outbox drainer is off (the webhook, not the booking it starts).',
};

function table(headers: string[], rows: string[][]): string {
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

function num(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

function signed(value: number): string {
  return value > 0 ? `+${value}` : String(value);
}

function minutes(seconds: number): string {
  return seconds >= 120 ? `${Math.round(seconds / 60)} min` : `${seconds} s`;
}

function soakErrors(suite: Suite): number {
  return Object.values(suite.soak.totals).reduce((sum, t) => sum + t.errors, 0);
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

// Ctrl-C: stop the load and let the `finally` blocks stop the API and drop the databases.
process.once('SIGINT', () => {
  interrupted = true;
  log('SIGINT: stopping, cleaning up (Ctrl-C again to quit at once)');
  for (const instance of running) instance.stop();
});

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (interrupted) log('interrupted: API stopped, databases dropped, no report written');
    else process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(interrupted ? 130 : 1);
  },
);
