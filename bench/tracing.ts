/**
 * What tracing costs a create: `bench/create.ts` run in pairs, tracing off then on (sampled at
 * 100 %, exported over OTLP/HTTP to a receiver in this process that reads and discards, as a
 * collector on the same host would), and the ratio of each pair.
 *
 *   npm run bench:tracing      (builds, then runs this file)
 *
 * Environment knobs (all optional): BENCH_TRACING_PAIRS (default 2), BENCH_TRACING_PROTOCOL
 * (http/protobuf, the SDK's default, or http/json), and those of bench/create.ts
 * (BENCH_DURATION, BENCH_CONNECTIONS, …).
 *
 * Prints one JSON object, appends it to docs/perf/tracing.jsonl and writes docs/perf/tracing-latest.json.
 */
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { CreateRun, median, runCreateBenchmark, writeReport } from './support';

const PAIRS = Number(process.env.BENCH_TRACING_PAIRS ?? 2);
const PROTOCOL = process.env.BENCH_TRACING_PROTOCOL ?? 'http/protobuf';

function log(message: string): void {
  process.stderr.write(`[bench:tracing] ${message}\n`);
}

/** A collector's receiving end: takes every export, counts its bytes, answers 200. */
async function startReceiver(): Promise<{ url: string; exports: () => number; bytes: () => number; stop: () => Promise<void> }> {
  let exports = 0;
  let bytes = 0;
  const server = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => (bytes += chunk.length));
    request.on('end', () => {
      exports++;
      response.writeHead(200, { 'content-type': String(request.headers['content-type'] ?? 'application/json') }).end(request.headers['content-type']?.includes('json') ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports: () => exports,
    bytes: () => bytes,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** One run of bench/create.ts with these variables, and no OTEL_* of the caller's. */
const runCreate = (env: Record<string, string>) => runCreateBenchmark({ ...withoutOtel(process.env), ...env });

function withoutOtel(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => !entry[0].startsWith('OTEL_') && entry[1] !== undefined));
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const receiver = await startReceiver();
  const pairs: { off: CreateRun; on: CreateRun; ratio_req_per_s: number; ratio_p99: number }[] = [];
  try {
    for (let pair = 1; pair <= PAIRS; pair++) {
      log(`pair ${pair}/${PAIRS}: tracing off`);
      const off = await runCreate({});
      log(`pair ${pair}/${PAIRS}: tracing on (${PROTOCOL}, always_on)`);
      const on = await runCreate({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: PROTOCOL,
        OTEL_TRACES_SAMPLER: 'always_on',
      });
      pairs.push({ off, on, ratio_req_per_s: round(on.req_per_s / off.req_per_s), ratio_p99: round(on.latency_ms.p99 / off.latency_ms.p99) });
    }
  } finally {
    await receiver.stop();
  }
  writeReport('tracing', {
    benchmark: 'tracing',
    date: new Date().toISOString(),
    node: process.version,
    protocol: PROTOCOL,
    sampler: 'always_on',
    pairs: pairs.map((p) => ({
      off: { req_per_s: p.off.req_per_s, p50_ms: p.off.latency_ms.p50, p99_ms: p.off.latency_ms.p99, errors: p.off.errors },
      on: { req_per_s: p.on.req_per_s, p50_ms: p.on.latency_ms.p50, p99_ms: p.on.latency_ms.p99, errors: p.on.errors },
      ratio_req_per_s: p.ratio_req_per_s,
      ratio_p99: p.ratio_p99,
    })),
    median_ratio_req_per_s: median(pairs.map((p) => p.ratio_req_per_s)),
    median_ratio_p99: median(pairs.map((p) => p.ratio_p99)),
    exports_received: receiver.exports(),
    bytes_received: receiver.bytes(),
    host: { cpus: cpus().length, load_at_end: loadavg().map((value) => round(value, 2)) },
    notes: [
      'on ÷ off of the same create benchmark, run back to back; the receiver shares the host, as a local collector would',
      'off loads no SDK module at all (tracingRequested is false): it is the product as shipped',
    ],
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`FAILED: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
