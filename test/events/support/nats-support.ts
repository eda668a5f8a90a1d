import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { JetStreamManager, NatsError, StreamInfo } from 'nats';
import request from 'supertest';
import { OutboxEvent } from '@app/outbox';
import { Reservation, ReservationStatusHistory } from '@app/reservations';
import type { ReservationCloudEvent } from '@app/lifecycle-events';
import { waitForProcess } from '../../support/wait-for-progress';
import type { SupplierFixture } from '../../suppliers/supplier-fixture';

/** The shared broker of the test machine: a test that needs it fails (never skips) when it is down. */
export const SHARED_NATS_URL = 'nats://127.0.0.1:4222';
export const NATS_SERVER_BINARY = '/usr/sbin/nats-server';
export const PUBLISH_LIFECYCLE_EVENT = 'PUBLISH_LIFECYCLE_EVENT';
/** The names of one describe's stream and subjects, unique to the run: tests share the broker. */
export function uniqueNames(tag: string): { stream: string; prefix: string } {
  const id = `${process.pid}_${randomBytes(4).toString('hex')}`;
  return { stream: `TEST_${tag}_${id}`, prefix: `test_${tag}_${id}.reservations` };
}

/** One message of a stream as a subscriber would read it. */
export interface StreamMessage {
  seq: number;
  subject: string;
  msgId: string | undefined;
  contentType: string | undefined;
  body: string;
  event: ReservationCloudEvent;
}

/** The stream's info, or undefined when there is no such stream. */
export async function streamInfoOrNone(
  jsm: JetStreamManager,
  stream: string,
): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(stream);
  } catch (error) {
    // 10059: stream not found; anything else is a failure of the test's broker.
    if (error instanceof NatsError && error.api_error?.err_code === 10059) return undefined;
    throw error;
  }
}

/** Every message the stream holds, in stream order. */
export async function readStream(jsm: JetStreamManager, stream: string): Promise<StreamMessage[]> {
  const info = await streamInfoOrNone(jsm, stream);
  if (!info || info.state.messages === 0) return [];
  const seqs: number[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) seqs.push(seq);
  const messages: StreamMessage[] = [];
  for (let start = 0; start < seqs.length; start += 50) {
    const chunk = await Promise.all(
      seqs.slice(start, start + 50).map((seq) => jsm.streams.getMessage(stream, { seq })),
    );
    for (const stored of chunk) {
      const body = stored.string();
      messages.push({
        seq: stored.seq,
        subject: stored.subject,
        msgId: stored.header?.get('Nats-Msg-Id') || undefined,
        contentType: stored.header?.get('Content-Type') || undefined,
        body,
        event: JSON.parse(body) as ReservationCloudEvent,
      });
    }
  }
  return messages;
}

export async function deleteStream(jsm: JetStreamManager | undefined, stream: string): Promise<void> {
  if (!jsm) return;
  if (await streamInfoOrNone(jsm, stream)) await jsm.streams.delete(stream);
}

/** Occurrences of each value: what "exactly once" is checked on. */
export function countsOf(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/** The values that occur more than once. */
export function repeated(values: string[]): string[] {
  return [...countsOf(values)].filter(([, count]) => count > 1).map(([value]) => value);
}

/** The value of one Prometheus sample, `name{labels}`, or undefined when absent. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

export interface NatsReadiness {
  broker: 'connected' | 'away' | 'off';
  unpublished: number;
  dead: number;
  oldest_unpublished_age_seconds: number;
}

/** `GET /health/ready` (always 200: a broker away never takes the API out of the balancer), its NATS part. */
export async function natsReadiness(base: string): Promise<NatsReadiness> {
  const ready = await request(base).get('/health/ready').expect(200);
  expect(ready.body.info.lifecycle_events.status).toBe('up');
  return ready.body.info.lifecycle_events.nats as NatsReadiness;
}

export async function scrapeMetrics(base: string): Promise<string> {
  return (await request(base).get('/metrics').expect(200)).text;
}

/** Reserved (202) and paid through the public API, as `SupplierFixture.reserveAndPay` does; with its PaymentIntent. */
export async function reserveAndPay(f: SupplierFixture): Promise<{ code: string; intentId: string }> {
  const code = await f.reserveAndPay();
  return { code, intentId: (await f.reservation(code)).paymentIntentId! };
}

/** The status history of a reservation, oldest first: what its events must say, in this order. */
export async function historyOf(f: SupplierFixture, code: string): Promise<ReservationStatusHistory[]> {
  const reservation = await f.t.dataSource.getRepository(Reservation).findOneByOrFail({ code });
  return f.t.dataSource
    .getRepository(ReservationStatusHistory)
    .find({ where: { reservationId: reservation.id }, order: { id: 'ASC' } });
}

/** The PUBLISH_LIFECYCLE_EVENT rows of a reservation (or of all), oldest first. */
export function publishRows(f: SupplierFixture, code?: string): Promise<OutboxEvent[]> {
  return f.t.dataSource.getRepository(OutboxEvent).find({
    where: { type: PUBLISH_LIFECYCLE_EVENT, ...(code ? { aggregateId: code } : {}) },
    order: { id: 'ASC' },
  });
}

/**
 * A nats-server of the test's own (never the shared one): a port and a store directory that
 * survive a stop, so that it can be started again as the same broker.
 */
export class OwnNatsServer {
  private child?: ChildProcess;
  private output = '';

  constructor(
    readonly port: number,
    readonly storeDir: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.output = '';
    const child = spawn(
      NATS_SERVER_BINARY,
      ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    const keep = (chunk: Buffer) => (this.output = (this.output + String(chunk)).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    await waitForProcess(child, {
      what: 'the test nats-server',
      ready: () => this.output.includes('Server is ready'),
      output: () => this.output,
    });
  }

  /** Stops it hard (SIGKILL: a crash, no goodbye to the clients) and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}

/** The keys of a CloudEvent as we publish it (docs/events.md), sorted: the trace context is not one of them. */
export const CLOUD_EVENT_KEYS = [
  'data',
  'datacontenttype',
  'id',
  'source',
  'specversion',
  'subject',
  'time',
  'type',
];
