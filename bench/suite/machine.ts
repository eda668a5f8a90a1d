/** The machine and the API process while the suite runs: CPU time, memory, how busy the host is, what it is. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { SERVER } from '../support';
import { METRICS_TOKEN } from './config';
import { Host } from './types';
import { round, sleep } from './util';

/** From GET /metrics (prom-client) when the API has it, else the RSS from `ps` (no heap figure then). */
export async function readMemory(port: number, pid: number): Promise<{ rss_mb: number; heap_mb: number | null; memory_source: string }> {
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
export function cpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** The host, the versions and the setup a run's figures depend on. */
export async function environment(): Promise<Host> {
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
