/**
 * `npm run bench:floors`: each product path beside its floor, in one run on one machine, and
 * the ratios between them: the yardstick is always product ÷ floor measured together, never
 * an absolute figure. A floor (`bench/floor/<path>.ts`) is a bare node:http + mysql2 program
 * doing the database and network work of the path: the same rows, the same durable commits.
 *
 * For each database round-trip time in BENCH_DB_RTT_MS, for each path in BENCH_PATHS: the
 * floor, then the product (the built API), each on a fresh database migrated and seeded by the
 * product, with the same load (HTTP paths: autocannon, BENCH_CONNECTIONS, BENCH_WARMUP s of
 * warm-up, then BENCH_DURATION s measured; booking: a backlog of BENCH_BOOKINGS reservations
 * after a warm-up backlog). Floor then product per path, paths one after the other: the two of
 * a pair run minutes apart at most, so a change in the machine's load shows in one pair only.
 * Stripe (`StripeSandbox`) and the supplier (`SupplierSimulator`, BUDGET) run in this process
 * for both. With a round-trip time above 0, both reach MariaDB through `bench/floor/delay-proxy.ts`
 * (its own process), which adds half of it each way.
 *
 * Prints one JSON; appends it to docs/perf/floors.jsonl, writes docs/perf/floors-latest.json
 * and the table docs/perf/floors.md (generated: edit this file, not that one).
 * Knobs: BENCH_PATHS (create,lookup,webhook,booking), BENCH_CONNECTIONS (64), BENCH_DURATION
 * (20), BENCH_WARMUP (3), BENCH_BOOKINGS (3000), BENCH_DB_RTT_MS (0; `0,0.5` runs both),
 * BENCH_DATABASE_URL (mysql://root@127.0.0.1:3306), BENCH_KEEP_DATABASE=1, BENCH_FRAMEWORK (1; 0 skips
 * the framework runs: each HTTP floor's handler on a bare Nest app, `bench/floor/on-nest.ts`).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { StripeSandbox, SupplierSimulator } from '@app/sandbox';
import { measure, Measured, Path, Settings } from './floor/paths';
import { stopChild } from './floor/servers';
import { ratio, ROOT, SERVER, writeReport } from './support';
import { SECRET } from './suite/config';
import { interrupt } from './suite/load';

const ALL: Path[] = ['create', 'lookup', 'webhook', 'booking'];
const PATHS = (process.env.BENCH_PATHS ?? ALL.join(',')).split(',').map((p) => p.trim()) as Path[];
const RTTS = (process.env.BENCH_DB_RTT_MS ?? '0').split(',').map(Number);
/** BENCH_FRAMEWORK=0 skips the framework runs (the floor's handler on a bare Nest app). */
const FRAMEWORK = !['0', 'false', 'no'].includes((process.env.BENCH_FRAMEWORK ?? '1').toLowerCase());
const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CONFIG = {
  connections: number('BENCH_CONNECTIONS', 64),
  durationS: number('BENCH_DURATION', 20),
  warmupS: number('BENCH_WARMUP', 3),
  bookings: number('BENCH_BOOKINGS', 3000),
};
const log = (message: string) => process.stderr.write(`[bench:floors] ${message}\n`);

/** Starts the delaying proxy in front of MariaDB; its port and how to stop it. */
async function startProxy(rttMs: number) {
  const target = new URL(SERVER);
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(ROOT, 'bench', 'floor', 'delay-proxy.ts')], {
    cwd: ROOT,
    env: { ...process.env, TARGET: `${target.hostname}:${target.port || 3306}`, ONE_WAY_MS: String(rttMs / 2) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      const match = /listening (\d+)/.exec(String(chunk));
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`delay proxy exited with code ${code}`)));
  });
  return { port, stop: () => stopChild(child) };
}

/** Median time of `SELECT 1` on one connection, in ms. */
async function pingMs(uri: string): Promise<number> {
  const db = await createConnection({ uri });
  const times: number[] = [];
  for (let i = 0; i < 300; i++) {
    const started = performance.now();
    await db.query('SELECT 1');
    times.push(performance.now() - started);
  }
  await db.end();
  return times.sort((a, b) => a - b)[150];
}

function compared(floor: Measured, product: Measured, framework?: Measured) {
  return {
    floor,
    ...(framework ? { framework } : {}),
    product,
    ratio: {
      throughput: ratio(product.throughput_per_s, floor.throughput_per_s),
      p99: ratio(product.latency_ms.p99, floor.latency_ms.p99),
      cpu_per_request: ratio(product.cpu_ms_per_request, floor.cpu_ms_per_request),
    },
    // What Nest and Express leave of the floor on their own, and how much of that the product keeps.
    ...(framework
      ? {
          framework_ratio: {
            framework_throughput: ratio(framework.throughput_per_s, floor.throughput_per_s),
            product_throughput_of_framework: ratio(product.throughput_per_s, framework.throughput_per_s),
            framework_cpu_per_request: ratio(framework.cpu_ms_per_request, floor.cpu_ms_per_request),
          },
        }
      : {}),
  };
}

async function main(): Promise<void> {
  for (const path of PATHS) if (!ALL.includes(path)) throw new Error(`BENCH_PATHS: unknown path ${path}`);
  const started = { date: new Date().toISOString(), load: loadavg() };
  const stripe = new StripeSandbox({ webhookSecret: SECRET });
  const supplier = new SupplierSimulator('BUDGET');
  const [stripeServer, supplierServer] = [await stripe.start(), await supplier.start()];
  const runs = [];
  try {
    for (const rtt of RTTS) {
      const proxy = rtt > 0 ? await startProxy(rtt) : undefined;
      try {
        const dbUrl = (url: string) => {
          if (!proxy) return url;
          const u = new URL(url);
          u.hostname = '127.0.0.1';
          u.port = String(proxy.port);
          return u.toString();
        };
        const added = proxy ? (await pingMs(dbUrl(SERVER))) - (await pingMs(SERVER)) : 0;
        const settings: Settings = { ...CONFIG, stripeUrl: stripeServer.url, supplierUrl: supplierServer.url, dbUrl };
        const paths: Record<string, ReturnType<typeof compared>> = {};
        for (const path of PATHS) {
          log(`round trip +${rtt} ms, ${path}: floor`);
          const floor = await measure(path, 'floor', settings);
          // The booking floor is a drainer, not an HTTP server: no framework run.
          const withFramework = FRAMEWORK && path !== 'booking';
          if (withFramework) log(`round trip +${rtt} ms, ${path}: framework (the floor on a bare Nest app)`);
          const framework = withFramework ? await measure(path, 'framework', settings) : undefined;
          log(`round trip +${rtt} ms, ${path}: product`);
          const product = await measure(path, 'product', settings);
          paths[path] = compared(floor, product, framework);
          const f = paths[path].framework_ratio;
          log(
            `${path}: throughput ×${paths[path].ratio.throughput}, p99 ×${paths[path].ratio.p99}, CPU/request ×${paths[path].ratio.cpu_per_request}` +
              (f ? `; framework ÷ floor ×${f.framework_throughput}, product ÷ framework ×${f.product_throughput_of_framework}` : ''),
          );
        }
        runs.push({ db_rtt_ms: rtt, measured_added_rtt_ms: Math.round(added * 1000) / 1000, paths });
      } finally {
        await proxy?.stop();
      }
    }
  } finally {
    await stripe.stop();
    await supplier.stop();
  }
  const admin = await createConnection({ uri: SERVER });
  const [[{ version }]] = (await admin.query('SELECT VERSION() AS version')) as unknown as [[{ version: string }]];
  await admin.end();
  const round = (values: number[]) => values.map((v) => Math.round(v * 100) / 100);
  const report = {
    benchmark: 'floors',
    date: started.date,
    host: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? 'unknown',
      load_average_at_start: round(started.load),
      load_average_at_end: round(loadavg()),
      node: process.version,
      mariadb: version,
    },
    config: { ...CONFIG, pool_size: 20, order: 'per path: floor, framework (HTTP paths), then product', framework: FRAMEWORK, paths: PATHS, db_rtt_ms: RTTS },
    ratios:
      'product ÷ floor: throughput below 1 is slower than the floor; p99 and cpu_per_request above 1 cost more. ' +
      'framework_ratio: the floor on a bare Nest app ÷ the floor, and the product ÷ that',
    runs,
  };
  writeReport('floors', report);
  writeFileSync(join(ROOT, 'docs', 'perf', 'floors.md'), markdown(report));
}

function markdown(report: { date: string; host: Record<string, unknown>; config: typeof CONFIG; runs: { db_rtt_ms: number; measured_added_rtt_ms: number; paths: Record<string, ReturnType<typeof compared>> }[] }): string {
  const h = report.host as { cpus: number; cpu_model: string; load_average_at_start: number[]; load_average_at_end: number[]; node: string; mariadb: string };
  const lines = [
    '# Floors: each product path beside its hand-written floor',
    '',
    `Generated by \`npm run bench:floors\` (\`bench/floors.ts\`) on ${report.date}; do not edit by hand. How to read it: [README.md](README.md#floors).`,
    '',
    `Machine: ${h.cpus} CPUs (${h.cpu_model}), load average ${h.load_average_at_start.join(' / ')} at the start and ` +
      `${h.load_average_at_end.join(' / ')} at the end (1, 5, 15 min); Node ${h.node}, MariaDB ${h.mariadb}. ` +
      `${report.config.connections} connections, ${report.config.warmupS} s warm-up, ${report.config.durationS} s measured; ` +
      `booking: a backlog of ${report.config.bookings}. Floor, framework, then product, per path.`,
    '',
    'Ratios are product ÷ floor: throughput below 1 is the share of the floor the product reaches; p99 and CPU per request above 1 are how many times the floor\'s the product spends. ' +
      '*Framework* is the floor\'s own handler served by a bare Nest 11 + Express 5 app (`bench/floor/on-nest.ts`): what the fixed framework leaves of the floor before the product adds anything.',
  ];
  for (const run of report.runs) {
    lines.push('', `## Database round trip +${run.db_rtt_ms} ms${run.db_rtt_ms > 0 ? ` (measured: +${run.measured_added_rtt_ms} ms per \`SELECT 1\`)` : ''}`, '');
    lines.push(
      '| path | floor | framework | product | throughput ratio | framework ÷ floor | product ÷ framework | p99 floor / product (ms) | p99 ratio | CPU ms/request floor / framework / product | CPU ratio | errors floor / product | rows as answered |',
    );
    lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const [path, { floor, framework, product, ratio: r, framework_ratio: f }] of Object.entries(run.paths)) {
      const rowsOk = floor.rows_check && product.rows_check && (framework?.rows_check ?? true);
      lines.push(
        `| ${path} | ${floor.throughput_per_s} ${floor.unit} | ${framework ? `${framework.throughput_per_s} ${framework.unit}` : '–'} | ${product.throughput_per_s} ${product.unit} | ` +
          `${r.throughput ?? '–'} | ${f?.framework_throughput ?? '–'} | ${f?.product_throughput_of_framework ?? '–'} | ` +
          `${floor.latency_ms.p99} / ${product.latency_ms.p99} | ${r.p99 ?? '–'} | ${floor.cpu_ms_per_request ?? '–'} / ${framework?.cpu_ms_per_request ?? '–'} / ${product.cpu_ms_per_request ?? '–'} | ` +
          `${r.cpu_per_request ?? '–'} | ${floor.errors} / ${product.errors} | ${rowsOk ? 'yes' : 'NO'} |`,
      );
    }
  }
  lines.push('', 'Booking: p99 is of the supplier call as the drainer timed it (a backlog has no request latency).', '');
  return lines.join('\n');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the load; the databases are dropped`);
    interrupt();
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`FAILED: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
