/**
 * The servers `bench/floors.ts` measures: a floor (`bench/floor/<path>.ts`, run with ts-node in
 * its own process, ready when `/health/ready` answers or, for the booking drainer, when it prints
 * `ready`) or the built API (`startApi` of bench/support.ts), with the same database pool size
 * (20), the same Stripe-compatible server and the same supplier simulator. BENCH_CPU_PROF=1
 * profiles either into /tmp/bench-prof.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { CPU_PROF, CPU_PROF_DIR, freePort, ROOT, startApi, stopApi } from '../support';
import { SECRET } from '../suite/config';
import { sleep } from '../suite/util';

export type Path = 'create' | 'lookup' | 'webhook' | 'booking';

export interface Settings {
  connections: number;
  durationS: number;
  warmupS: number;
  bookings: number;
  stripeUrl: string;
  supplierUrl: string;
  /** The URL the server under test uses for a database URL (through the proxy or not). */
  dbUrl: (url: string) => string;
}

export interface Server {
  pid: number;
  port: number;
  stop: () => Promise<void>;
}

const FLOOR_POOL_SIZE = '20';

export function productEnv(path: Path, url: string, settings: Settings): Record<string, string> {
  return {
    DATABASE_URL: url,
    STRIPE_WEBHOOK_SECRET: SECRET,
    STRIPE_API_BASE: settings.stripeUrl,
    SUPPLIER_HERTZ_URL: settings.supplierUrl,
    SUPPLIER_BUDGET_URL: settings.supplierUrl,
    SUPPLIER_EUROPCAR_URL: settings.supplierUrl,
    // The drainer is the booking path; elsewhere it is work of another path (as bench:webhook).
    OUTBOX_ENABLED: path === 'booking' ? 'true' : 'false',
    OUTBOX_POLL_INTERVAL_MS: '50',
  };
}

export async function startProduct(path: Path, url: string, settings: Settings): Promise<Server> {
  const port = await freePort();
  const api = await startApi(port, productEnv(path, url, settings));
  return { pid: api.pid!, port, stop: () => stopApi(api) };
}

/** The floor of `path` on node:http, or (`framework`) the same handler on a bare Nest app (`./on-nest.ts`). */
export async function startFloor(path: Path, url: string, settings: Settings, framework = false): Promise<Server> {
  const port = await freePort();
  const profile = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, '-r', 'ts-node/register/transpile-only', join(ROOT, 'bench', 'floor', `${path}.ts`)], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: url,
      DATABASE_POOL_SIZE: FLOOR_POOL_SIZE,
      STRIPE_API_BASE: settings.stripeUrl,
      STRIPE_SECRET_KEY: 'sk_test_bench',
      STRIPE_WEBHOOK_SECRET: SECRET,
      SUPPLIER_BUDGET_URL: settings.supplierUrl,
      FLOOR_SERVER: framework ? 'nest' : 'node',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += String(chunk)));
  child.stderr!.on('data', (chunk) => process.stderr.write(`[floor ${path}] ${String(chunk)}`));
  const stop = () => stopChild(child);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`floor ${path} exited with code ${child.exitCode}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`floor ${path} not ready within 60 s`);
    }
    const ready = path === 'booking' ? output.includes('ready') : await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false);
    if (ready) return { pid: child.pid!, port, stop };
    await sleep(100);
  }
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
