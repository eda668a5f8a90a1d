/**
 * The suite's load generators: autocannon's closed loop for the sweep, one burst of simultaneous
 * creations, and an evenly spaced open loop for the soak (sampling the API as it goes).
 */
import autocannon from 'autocannon';
import { Connection } from 'mysql2/promise';
import { Agent, request } from 'undici';
import { percentile } from '../support';
import { SAMPLE_S, SEED, SOAK_MIX, SOAK_RATE, SOAK_S } from './config';
import { cpuSeconds, readMemory } from './machine';
import { createCall, ReservationPool } from './requests';
import { Call, SimultaneousCreations, SoakSample, Step } from './types';
import { log, round, sleep } from './util';

let stopped = false;
const running = new Set<autocannon.Instance>();

/** Ctrl-C: stops the load under way; the load started afterwards throws, and the callers' `finally` blocks clean up. */
export function interrupt(): void {
  stopped = true;
  for (const instance of running) instance.stop();
}

export function interrupted(): boolean {
  return stopped;
}

/** Closed loop: each connection sends its next request when the previous one is answered. */
export async function drive(port: number, connections: number, seconds: number, next: () => Call, pid?: number): Promise<Step> {
  if (stopped) throw new Error('interrupted');
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
  if (stopped) throw new Error('interrupted');
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
export async function simultaneousCreations(port: number, db: Connection): Promise<SimultaneousCreations> {
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

/** Open loop, evenly spaced (autocannon's rate limit sends each second's requests in one burst). */
export async function steadyLoad(port: number, pid: number, pool: ReservationPool) {
  const agent = new Agent({ connections: 64 });
  const totals = Object.fromEntries(SOAK_MIX.map((kind) => [kind, { requests: 0, errors: 0 }]));
  let interval = { times: [] as number[], errors: 0 };
  const inFlight = new Set<Promise<void>>();
  const samples: SoakSample[] = [];
  const started = performance.now();
  const end = started + SOAK_S * 1000;
  const sampler = (async () => {
    let cpuBefore = cpuSeconds(pid);
    for (let k = 1; k * SAMPLE_S <= SOAK_S && !stopped; k++) {
      await sleep(started + k * SAMPLE_S * 1000 - performance.now());
      if (stopped) break;
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
  for (let sent = 0; !stopped; sent++) {
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
