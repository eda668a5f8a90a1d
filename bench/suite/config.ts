/**
 * The knobs of `npm run bench` (bench/suite/run.ts), read once from the environment, and the constants of its load:
 * BENCH_STEP_SECONDS (10), BENCH_SOAK_SECONDS (600), BENCH_SOAK_RATE (50 req/s),
 * BENCH_QUICK=1 (levels 1, 8, 64; 3-s steps; 30-s soak: a smoke test), BENCH_DATABASE_URL (bench/support.ts),
 * BENCH_SOAK_ONLY=1 (the soak alone, to docs/perf/soak.jsonl), BENCH_REPORT_ONLY=1 (no load: the report and charts rendered again from docs/perf/suite-latest.json).
 */
import { join } from 'node:path';
import { ROOT } from '../support';

export const QUICK = process.env.BENCH_QUICK === '1';
export const SOAK_ONLY = process.env.BENCH_SOAK_ONLY === '1';
export const REPORT_ONLY = process.env.BENCH_REPORT_ONLY === '1';
export const LEVELS = QUICK ? [1, 8, 64] : [1, 2, 4, 8, 16, 32, 64, 100, 128, 256];
export const STEP_S = Number(process.env.BENCH_STEP_SECONDS ?? (QUICK ? 3 : 10));
export const WARMUP_S = QUICK ? 1 : 3;
export const SOAK_S = Number(process.env.BENCH_SOAK_SECONDS ?? (QUICK ? 30 : 600));
export const SOAK_RATE = Number(process.env.BENCH_SOAK_RATE ?? 50);
export const SAMPLE_S = Math.min(10, SOAK_S / 6);
/** One create, three lookups, one webhook: what customers do most is look their booking up. */
export const SOAK_MIX: Kind[] = ['create', 'lookup', 'lookup', 'lookup', 'webhook'];
export const SEED = { users: 100, p95_ms: 500, simultaneous: 1000 };
export const LOOKUP_POOL = 20_000;
/** Above any webhook rate seen on this machine (~860/s): sizes each level's fresh reservations. */
export const WEBHOOKS_PER_S_MAX = 2000;
export const SECRET = 'whsec_bench_secret';
export const METRICS_TOKEN = 'bench-metrics-token-0000';
export const SUPPLIERS = ['HERTZ', 'BUDGET', 'EUROPCAR'] as const;
export const PERF = join(ROOT, 'docs', 'perf');

export type Kind = 'create' | 'lookup' | 'webhook';
