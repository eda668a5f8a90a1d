/**
 * `npm run bench:ceiling`: how near its floor each HTTP path could come on the fixed stack, were
 * every optional piece of the product's request handling gone. Issue 13 asks the create, the
 * lookup and the webhook for 0.6 of their floors; this measures what is left to reach when
 * nothing but the path's own work remains.
 *
 * For each round and each path (create, lookup, webhook), one after the other on fresh databases,
 * as `bench:floors` measures them (`bench/floor/paths.ts`, the same load and row checks):
 *   - the floor (node:http + mysql2) and the framework (the floor's handler on a bare Nest app);
 *   - the product (the build in `dist/`);
 *   - the stripped product: a copy of that build in `dist-stripped/` (git-ignored) with the
 *     access log, the metrics middleware, the security headers, the rate-limit guard, the
 *     validation of bodies and query strings and Express's ETag switched off (`STRIPPED` below).
 *     What stays is the path's work as the floor does it (the same statements and commits, the
 *     lookup's audit row, the create's idempotency key, the Stripe call) done the product's way:
 *     Nest's pipeline, TypeORM, the official Stripe SDK, the domain and its handlers.
 *
 * The stripped build is a measurement, never a configuration: it writes no personal data more or
 * less, but it has no rate limits, no validation and no access log. Each patch names the text it
 * replaces; a build without that text stops the run, so that a refactoring cannot silently make
 * the stripped build the same as the product.
 *
 * Prints one JSON; appends it to docs/perf/ceiling.jsonl and writes docs/perf/ceiling-latest.json.
 * Knobs: BENCH_PATHS (create,lookup,webhook), BENCH_ROUNDS (2), BENCH_CONNECTIONS (64),
 * BENCH_DURATION (10), BENCH_WARMUP (2).
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { StripeSandbox, SupplierSimulator } from '@app/sandbox';
import { measure, Measured, Path } from './floor/paths';
import { apiBuild, median, ratio, ROOT, writeReport } from './support';
import { SECRET } from './suite/config';

const HTTP_PATHS: Path[] = ['create', 'lookup', 'webhook'];
const PATHS = (process.env.BENCH_PATHS ?? HTTP_PATHS.join(',')).split(',').map((p) => p.trim()) as Path[];
const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const ROUNDS = number('BENCH_ROUNDS', 2);
const CONFIG = { connections: number('BENCH_CONNECTIONS', 64), durationS: number('BENCH_DURATION', 10), warmupS: number('BENCH_WARMUP', 2), bookings: 0 };
const STRIPPED_DIR = 'dist-stripped';
const log = (message: string) => process.stderr.write(`[bench:ceiling] ${message}\n`);

/** What the stripped build leaves out: a file of the build, the text it replaces, and with what. */
const STRIPPED: { file: string; what: string; find: string; replace: string }[] = [
  {
    file: 'libs/core/src/http/configure-app.js',
    what: 'the HTTP metrics middleware',
    find: 'app.use((0, metrics_1.httpMetricsMiddleware)(app.get(metrics_1.Metrics)));',
    replace: '',
  },
  {
    file: 'libs/core/src/http/configure-app.js',
    what: 'the security headers',
    find: 'app.use((0, security_headers_1.securityHeaders)({ strictTransportSecurity: false }));',
    replace: '',
  },
  {
    file: 'libs/core/src/http/configure-app.js',
    what: "HSTS, and Express's ETag",
    find: 'app.use(strictTransportSecurityOverHttps);',
    replace: "app.set('etag', false);",
  },
  {
    file: 'libs/core/src/http/validation.js',
    what: 'the validation of bodies and query strings',
    find: 'async transform(value, metadata) {',
    replace: "async transform(value, metadata) { if (metadata.type === 'body' || metadata.type === 'query') return value;",
  },
  {
    file: 'libs/core/src/rate-limit/rate-limit.guard.js',
    what: 'the rate-limit guard',
    find: 'async handleRequest(request) {',
    replace: 'async canActivate() { return true; }\n    async handleRequest(request) {',
  },
  {
    file: 'libs/core/src/logging/logging.module.js',
    what: 'the access log (pino-http on no route)',
    find: "forRoutes: [{ path: '{*path}', method: common_1.RequestMethod.ALL }],",
    replace: "forRoutes: [{ path: 'no-route-of-the-api', method: common_1.RequestMethod.ALL }],",
  },
];

function buildStripped(): void {
  const target = join(ROOT, STRIPPED_DIR);
  rmSync(target, { recursive: true, force: true });
  cpSync(join(ROOT, 'dist'), target, { recursive: true });
  for (const patch of STRIPPED) {
    const file = join(target, patch.file);
    const text = readFileSync(file, 'utf8');
    if (!text.includes(patch.find)) throw new Error(`${patch.file}: no "${patch.find}" to strip ${patch.what}; update bench/ceiling.ts`);
    writeFileSync(file, text.replace(patch.find, patch.replace));
  }
}

type Kind = 'floor' | 'framework' | 'product' | 'stripped';
const KINDS: Kind[] = ['floor', 'framework', 'product', 'stripped'];

async function main(): Promise<void> {
  for (const path of PATHS) if (!HTTP_PATHS.includes(path)) throw new Error(`BENCH_PATHS: ${path} is not an HTTP path`);
  buildStripped();
  const started = { date: new Date().toISOString(), load: loadavg() };
  const stripe = new StripeSandbox({ webhookSecret: SECRET });
  const supplier = new SupplierSimulator('BUDGET');
  const [stripeServer, supplierServer] = [await stripe.start(), await supplier.start()];
  const settings = { ...CONFIG, stripeUrl: stripeServer.url, supplierUrl: supplierServer.url, dbUrl: (url: string) => url };
  const rounds: Record<string, Record<Kind, Measured>>[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const paths: Record<string, Record<Kind, Measured>> = {};
      for (const path of PATHS) {
        const measured = {} as Record<Kind, Measured>;
        for (const kind of KINDS) {
          log(`round ${round}, ${path}: ${kind}`);
          apiBuild.dir = kind === 'stripped' ? STRIPPED_DIR : 'dist';
          try {
            measured[kind] = await measure(path, kind === 'stripped' ? 'product' : kind, settings);
          } finally {
            apiBuild.dir = 'dist';
          }
        }
        const of = (kind: Kind) => ratio(measured[kind].throughput_per_s, measured.floor.throughput_per_s);
        log(`${path}: of the floor, framework ×${of('framework')}, product ×${of('product')}, stripped ×${of('stripped')}`);
        paths[path] = measured;
      }
      rounds.push(paths);
    }
  } finally {
    await stripe.stop();
    await supplier.stop();
    rmSync(join(ROOT, STRIPPED_DIR), { recursive: true, force: true });
  }
  // Per path, the median over rounds of each kind's throughput ÷ the floor's of the same round.
  const summary = Object.fromEntries(
    PATHS.map((path) => [
      path,
      Object.fromEntries(
        KINDS.filter((kind) => kind !== 'floor').map((kind) => [
          `${kind}_of_floor`,
          Math.round(median(rounds.map((r) => r[path][kind].throughput_per_s / r[path].floor.throughput_per_s)) * 1000) / 1000,
        ]),
      ),
    ]),
  );
  const round2 = (values: number[]) => values.map((v) => Math.round(v * 100) / 100);
  writeReport('ceiling', {
    benchmark: 'ceiling',
    date: started.date,
    host: { cpus: cpus().length, cpu_model: cpus()[0]?.model ?? 'unknown', load_average_at_start: round2(started.load), load_average_at_end: round2(loadavg()), node: process.version },
    config: { ...CONFIG, rounds: ROUNDS, paths: PATHS, order: 'per round and path: floor, framework, product, stripped' },
    stripped: STRIPPED.map((patch) => patch.what),
    summary,
    rounds,
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
