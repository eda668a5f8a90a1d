/**
 * What lifecycle events cost, in two parts:
 * - a create: `bench/create.ts` run in pairs, events off then on (every change of status
 *   published to NATS JetStream on 127.0.0.1:4222 and POSTed as a signed status webhook to a
 *   receiver in this process that answers 204, both drained by the API's own outbox while the
 *   load runs), and the ratio of each pair;
 * - the publisher alone: one built API process, idle, draining a backlog of BENCH_EVENTS_BACKLOG
 *   (default 5000) lifecycle events of 1000 reservations to NATS: events/s, from the first
 *   published to the last.
 *
 *   npm run bench:events       (builds, then runs this file)
 *
 * Environment knobs (all optional): BENCH_EVENTS_PAIRS (default 2), BENCH_EVENTS_NATS_URL
 * (default nats://127.0.0.1:4222), and those of bench/create.ts (BENCH_DURATION, BENCH_CONNECTIONS, …).
 *
 * Prints one JSON object, appends it to docs/perf/events.jsonl and writes docs/perf/events-latest.json.
 */
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { createConnection } from 'mysql2/promise';
import { connect } from 'nats';
import { aLifecycleChange } from '@app/lifecycle-events/testing';
import {
  CreateRun,
  freePort,
  runCreateBenchmark,
  startApi,
  stopApi,
  withDatabase,
  writeReport,
} from './support';

const PAIRS = Number(process.env.BENCH_EVENTS_PAIRS ?? 2);
const NATS_URL = process.env.BENCH_EVENTS_NATS_URL ?? 'nats://127.0.0.1:4222';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const BACKLOG = Number(process.env.BENCH_EVENTS_BACKLOG ?? 5000);
const RESERVATIONS = 1000;

function log(message: string): void {
  process.stderr.write(`[bench:events] ${message}\n`);
}

/** The merchant's end: takes every delivery, counts it, answers 204 (the signature is the tests' business). */
async function startReceiver(): Promise<{
  url: string;
  deliveries: () => number;
  stop: () => Promise<void>;
}> {
  let deliveries = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      deliveries++;
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    deliveries: () => deliveries,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * One idle API draining `BACKLOG` PUBLISH_LIFECYCLE_EVENT rows (5 changes of each of 1000
 * reservations, in order per reservation, interleaved), written straight to its outbox.
 */
async function drainBacklog(
  stream: string,
): Promise<{ events: number; seconds: number; events_per_s: number }> {
  return withDatabase('events', async (url) => {
    const port = await freePort();
    const api = await startApi(port, {
      DATABASE_URL: url,
      STRIPE_WEBHOOK_SECRET: 'whsec_bench_unused',
      EVENTS_NATS_URL: NATS_URL,
      EVENTS_NATS_STREAM: stream,
      EVENTS_NATS_SUBJECT_PREFIX: stream.toLowerCase(),
    });
    const db = await createConnection({ uri: url });
    try {
      const now = new Date();
      const rows: unknown[][] = [];
      for (let n = 0; n < BACKLOG; n++) {
        const code = `BENCH${String(n % RESERVATIONS).padStart(3, '0')}`;
        const change = aLifecycleChange({
          id: `evt_${code}_${n + 1}`,
          reservationCode: code,
          occurredAt: now.toISOString(),
        });
        rows.push([
          'PUBLISH_LIFECYCLE_EVENT',
          'events',
          'reservation',
          code,
          JSON.stringify(change),
          'PENDING',
          0,
          now,
          now,
          now,
        ]);
      }
      for (let start = 0; start < rows.length; start += 1000) {
        await db.query(
          'INSERT INTO outbox_events (type, lane, aggregate_type, aggregate_id, payload, status, attempts, next_attempt_at, created_at, updated_at) VALUES ?',
          [rows.slice(start, start + 1000)],
        );
      }
      const done = async () => {
        const [result] = await db.query(
          "SELECT COUNT(*) AS n, MIN(processed_at) AS first, MAX(processed_at) AS last FROM outbox_events WHERE type = 'PUBLISH_LIFECYCLE_EVENT' AND status = 'DONE'",
        );
        return (result as { n: number; first: Date | null; last: Date | null }[])[0];
      };
      let progress = await done();
      while (Number(progress.n) < BACKLOG) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        progress = await done();
      }
      const seconds = (progress.last!.getTime() - progress.first!.getTime()) / 1000;
      return { events: BACKLOG, seconds: round(seconds), events_per_s: round(BACKLOG / seconds, 1) };
    } finally {
      await db.end();
      await stopApi(api);
    }
  });
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;
const environment = () =>
  Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );

async function main(): Promise<void> {
  const receiver = await startReceiver();
  const nats = await connect({ servers: NATS_URL });
  const manager = await nats.jetstreamManager();
  const streams: string[] = [];
  let drain: Awaited<ReturnType<typeof drainBacklog>> | undefined;
  const pairs: {
    off: CreateRun;
    on: CreateRun;
    published: number;
    delivered: number;
    ratio_req_per_s: number;
    ratio_p99: number;
  }[] = [];
  try {
    for (let pair = 1; pair <= PAIRS; pair++) {
      log(`pair ${pair}/${PAIRS}: events off`);
      const off = await runCreateBenchmark(environment());
      const stream = `BENCH_EVENTS_${Date.now()}`;
      streams.push(stream);
      const deliveredBefore = receiver.deliveries();
      log(`pair ${pair}/${PAIRS}: events on (NATS ${NATS_URL}, stream ${stream}, and the status webhook)`);
      const on = await runCreateBenchmark({
        ...environment(),
        EVENTS_NATS_URL: NATS_URL,
        EVENTS_NATS_STREAM: stream,
        EVENTS_NATS_SUBJECT_PREFIX: stream.toLowerCase(),
        STATUS_WEBHOOK_URL: receiver.url,
        STATUS_WEBHOOK_SECRET: SECRET,
      });
      const published = await manager.streams.info(stream).then(
        (info) => info.state.messages,
        () => 0,
      );
      pairs.push({
        off,
        on,
        published,
        delivered: receiver.deliveries() - deliveredBefore,
        ratio_req_per_s: round(on.req_per_s / off.req_per_s),
        ratio_p99: round(on.latency_ms.p99 / off.latency_ms.p99),
      });
    }
    const stream = `BENCH_EVENTS_DRAIN_${Date.now()}`;
    streams.push(stream);
    log(`the publisher alone: one idle API draining ${BACKLOG} events to ${stream}`);
    drain = await drainBacklog(stream);
  } finally {
    for (const stream of streams) await manager.streams.delete(stream).catch(() => undefined);
    await nats.close();
    await receiver.stop();
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  writeReport('events', {
    benchmark: 'events',
    date: new Date().toISOString(),
    node: process.version,
    pairs: pairs.map((p) => ({
      off: {
        req_per_s: p.off.req_per_s,
        p50_ms: p.off.latency_ms.p50,
        p99_ms: p.off.latency_ms.p99,
        errors: p.off.errors,
      },
      on: {
        req_per_s: p.on.req_per_s,
        p50_ms: p.on.latency_ms.p50,
        p99_ms: p.on.latency_ms.p99,
        errors: p.on.errors,
      },
      events_published: p.published,
      webhooks_delivered: p.delivered,
      ratio_req_per_s: p.ratio_req_per_s,
      ratio_p99: p.ratio_p99,
    })),
    median_ratio_req_per_s: median(pairs.map((p) => p.ratio_req_per_s)),
    median_ratio_p99: median(pairs.map((p) => p.ratio_p99)),
    publisher_alone: drain,
    host: { cpus: cpus().length, load_at_end: loadavg().map((value) => round(value, 2)) },
    notes: [
      'on ÷ off of the same create benchmark, run back to back; NATS and the receiver share the host',
      'each create makes two changes of status (CREATED, PAYMENT_IN_PROGRESS): with events on, four more outbox rows in its transactions, published while the load runs',
      'events_published and webhooks_delivered count what went out before the run ended (its database is then dropped)',
      'publisher_alone: one process, OUTBOX_CONCURRENCY and OUTBOX_BATCH_SIZE at their defaults, an ordered lane (one event of a reservation at a time)',
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
