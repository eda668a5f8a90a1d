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
 * docs/perf/sweep.svg, docs/perf/soak.svg and docs/perf/REPORT.md. Knobs: ./config.ts.
 *
 * This file runs the phases; ./load.ts generates the load (./requests.ts: what it sends),
 * ./machine.ts samples the API process and the host, ./verdicts.ts judges the figures, and
 * ./report.ts (with ./chart.ts) renders the report.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { StripeSandbox, SupplierSimulator } from '@app/sandbox';
import { freePort, startApi, stopApi, withDatabase, writeReport } from '../support';
import {
  Kind,
  LEVELS,
  LOOKUP_POOL,
  METRICS_TOKEN,
  PERF,
  QUICK,
  REPORT_ONLY,
  SAMPLE_S,
  SECRET,
  SOAK_MIX,
  SOAK_ONLY,
  SOAK_RATE,
  SOAK_S,
  STEP_S,
  SUPPLIERS,
  WARMUP_S,
  WEBHOOKS_PER_S_MAX,
} from './config';
import { drive, interrupt, interrupted, simultaneousCreations, steadyLoad } from './load';
import { environment } from './machine';
import { writeSuiteReport } from './report';
import { createCall, ReservationPool } from './requests';
import { EndpointRun, SoakRun, Step, Suite } from './types';
import { log, sleep } from './util';
import { breakingPoint, rejudge, seedTargets, soakVerdict } from './verdicts';

async function main(): Promise<void> {
  // BENCH_SOAK_ONLY=1: the soak alone, written to docs/perf/soak.jsonl; the suite's report stays.
  if (SOAK_ONLY) {
    writeReport('soak', await soakAlone());
    return;
  }
  // BENCH_REPORT_ONLY=1: render the report and charts again from suite-latest.json (no load).
  if (!REPORT_ONLY) log(`levels ${LEVELS.join(', ')}; about ${Math.ceil((3 * LEVELS.length * (WARMUP_S + STEP_S + 1) + SOAK_S + 60) / 60)} min`);
  const result = REPORT_ONLY ? rejudge(JSON.parse(readFileSync(join(PERF, 'suite-latest.json'), 'utf8')) as Suite) : await runSuite();
  if (!REPORT_ONLY) writeReport('suite', result);
  writeSuiteReport(result);
  log(`wrote docs/perf/REPORT.md, sweep.svg and soak.svg; ${result.seconds} s in all`);
}

async function runSuite(): Promise<Suite> {
  const started = Date.now();
  return withServices(async (services, stripe) => {
    const host = await environment();
    const endpoints = [];
    for (const kind of ['create', 'lookup', 'webhook'] as const) endpoints.push(await sweep(kind, services));
    stripe.reset();
    const soak = await soakTest(services);
    return {
      benchmark: 'suite',
      date: new Date().toISOString(),
      quick: QUICK,
      config: { levels: LEVELS, step_s: STEP_S, warmup_s: WARMUP_S, soak_s: SOAK_S, soak_rate_per_s: SOAK_RATE, soak_mix: SOAK_MIX, sample_s: SAMPLE_S },
      host,
      endpoints,
      seed_targets: seedTargets(endpoints),
      soak,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  });
}

async function soakAlone(): Promise<object> {
  return withServices(async (services) => {
    const { samples, ...soak } = await soakTest(services);
    return { benchmark: 'soak', date: new Date().toISOString(), host: await environment(), soak, samples };
  });
}

/**
 * Stripe and the suppliers, for the time of `run`: they run here, not in the API, so that their
 * in-memory state is not the API's memory. `services` is the API's environment for them.
 */
async function withServices<T>(run: (services: Record<string, string>, stripe: StripeSandbox) => Promise<T>): Promise<T> {
  const stripe = new StripeSandbox({ webhookSecret: SECRET });
  const simulators = SUPPLIERS.map((code) => new SupplierSimulator(code));
  const stripeUrl = (await stripe.start()).url;
  const supplierUrls = await Promise.all(simulators.map((simulator) => simulator.start()));
  try {
    const services = {
      STRIPE_API_BASE: stripeUrl,
      ...Object.fromEntries(SUPPLIERS.map((code, i) => [`SUPPLIER_${code}_URL`, supplierUrls[i].url])),
    };
    return await run(services, stripe);
  } finally {
    await stripe.stop();
    await Promise.all(simulators.map((simulator) => simulator.stop()));
  }
}

/** One endpoint at every level, on one API process and one database. */
async function sweep(kind: Kind, services: Record<string, string>): Promise<EndpointRun> {
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

/** The whole application at a steady rate well below its limits: does anything creep up? */
async function soakTest(services: Record<string, string>): Promise<SoakRun> {
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
        if (interrupted()) throw new Error('interrupted');
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

// Ctrl-C: stop the load and let the `finally` blocks stop the API and drop the databases.
process.once('SIGINT', () => {
  interrupt();
  log('SIGINT: stopping, cleaning up (Ctrl-C again to quit at once)');
});

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (interrupted()) log('interrupted: API stopped, databases dropped, no report written');
    else process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(interrupted() ? 130 : 1);
  },
);
