import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Mutex, Semaphore } from 'async-mutex';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Clock, currentTraceContext, inSpan, SpanKind, untraced } from '@app/core';
import { SpanStatusCode } from '@opentelemetry/api';
import { backoffDelayMs } from './backoff';
import { OutboxEvent } from './outbox-event.entity';
import { OutboxEventHandler, OutboxHandlerRegistry } from './outbox-handler';
import { outboxConfig, OutboxConfig } from './outbox.config';
import { DependencyUnavailableError, NonRetryableOutboxError, RetryOutboxEventLater } from './outbox.errors';
import { Failure, OutboxRepository } from './outbox.repository';

type Outcome = { id: number; ok: true } | { id: number; ok: false; failure: Failure };

/** One lane's drain: its own loop, so that a lane busy with slow handlers never holds up another. */
interface Lane {
  name: string;
  concurrency: number;
  /** Gives way to the other lanes' backlogs (receipts, mails). */
  background: boolean;
  draining?: Promise<void>;
  /** Asked for again while draining: go round once more. */
  wanted: boolean;
  /** Not background, and its last claim took a full batch: it has more due. */
  backlogged: boolean;
  /** Background, and it stopped for a backlog elsewhere: drain it when that ends. */
  deferred: boolean;
  /** Each aggregate's events one at a time, in order (ADR 0017). */
  ordered: boolean;
}

/**
 * Drains the outbox, lane by lane (ADR 0014): each lane claims its due events in batches and
 * runs their handlers with its own bounded concurrency, then records each outcome. Woken by a
 * schedule (the safety net) and by every enqueue of this process (the fast path, that event's
 * lane only). Safe with any number of processes: a claim is a lease, and every write afterwards
 * checks that the lease is still ours.
 */
@Injectable()
export class OutboxDrainer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxDrainer.name);
  private readonly processId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private claims = 0;
  private readonly lanes = new Map<string, Lane>();
  /**
   * One claim at a time in this process. A lane's range scan on MySQL also locks, for an
   * instant, the first index record past its range, which is the oldest due event of the next
   * lane: a claim of that lane running at the same moment would skip it (SKIP LOCKED), find
   * nothing, and leave the lane idle until the next poll. A claim takes a millisecond or two.
   */
  private readonly claiming = new Mutex();
  private stopping = false;
  private started = false;
  /** Claimed but not yet started, per lease owner: what shutdown gives back. */
  private readonly waiting = new Map<string, Set<number>>();

  constructor(
    private readonly repository: OutboxRepository,
    private readonly registry: OutboxHandlerRegistry,
    private readonly scheduler: SchedulerRegistry,
    private readonly clock: Clock,
    @Inject(outboxConfig.KEY) private readonly config: OutboxConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.enabled) return;
    await untraced(() => this.start());
  }

  private async start(): Promise<void> {
    const unhandled = (await this.repository.pendingTypes()).filter((type) => !this.registry.get(type));
    if (unhandled.length > 0) {
      throw new Error(
        `The outbox holds events of types no handler here can process: ${unhandled.join(', ')}. ` +
          'Deploy the slice that handles them, or set OUTBOX_ENABLED=false on this process.',
      );
    }
    const lanes = this.registry.lanes();
    const unknown = Object.keys(this.config.laneConcurrency).filter((lane) => !lanes.has(lane));
    if (unknown.length > 0) {
      throw new Error(`OUTBOX_LANE_CONCURRENCY names lanes no handler uses: ${unknown.join(', ')} (lanes: ${[...lanes.keys()].join(', ')}).`);
    }
    const unparked = await this.repository.settleLanes(lanes, this.clock.now());
    if (unparked > 0) this.logger.log({ msg: 'parked outbox events now have a handler', unparked });
    for (const name of lanes.keys()) this.lane(name);
    this.started = true;
    this.scheduler.addInterval('outbox-drain', setInterval(() => this.nudge(), this.config.pollIntervalMs));
    this.nudge();
  }

  /** Asks for a drain of one lane, or of every lane; a drain already running goes round once more instead. */
  nudge(lane?: string): void {
    if (!this.started || this.stopping) return;
    if (lane === undefined) {
      for (const each of this.lanes.values()) this.nudgeLane(each);
      return;
    }
    const known = this.lanes.get(lane);
    if (known) this.nudgeLane(known);
  }

  /** Drains every lane until nothing is due. Exposed for tests and the CLI. */
  async drain(): Promise<number> {
    // Also where the schedule is off (OUTBOX_ENABLED=false): the CLI and the integration tests.
    const lanes = [...this.registry.lanes().keys()].map((name) => this.lane(name));
    const handled = await untraced(() => Promise.all(lanes.map((lane) => this.drainLane(lane))));
    return handled.reduce((sum, count) => sum + count, 0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.started) return;
    this.stopping = true;
    this.scheduler.deleteInterval('outbox-drain');
    const now = this.clock.now();
    for (const [owner, ids] of this.waiting) await untraced(() => this.repository.release([...ids], owner, now));
    this.waiting.clear();
    const draining = [...this.lanes.values()].flatMap((lane) => (lane.draining ? [lane.draining] : []));
    if (draining.length > 0) {
      const deadline = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), this.config.shutdownTimeoutMs).unref(),
      );
      if ((await Promise.race([Promise.all(draining), deadline])) === 'timeout') {
        // Still running: their leases stay, so nobody runs them twice while they might finish.
        this.logger.warn({ msg: 'outbox handlers still running at shutdown; their leases will expire' });
      }
    }
  }

  private lane(name: string): Lane {
    let lane = this.lanes.get(name);
    if (!lane) {
      const concurrency = this.config.laneConcurrency[name] ?? this.registry.concurrencyOf(name) ?? this.config.concurrency;
      lane = {
        name,
        concurrency,
        background: this.registry.isBackground(name),
        ordered: this.registry.isOrdered(name),
        wanted: false,
        backlogged: false,
        deferred: false,
      };
      this.lanes.set(name, lane);
    }
    return lane;
  }

  private nudgeLane(lane: Lane): void {
    if (lane.draining) {
      lane.wanted = true;
      return;
    }
    // The drainer's own work is in no trace: run in the nudger's context (a request's commit, an
    // event's handler), the SQL of whole batches would join that trace. Each event's run opens its own.
    lane.draining = untraced(() =>
      this.drainLane(lane)
        .then(() => undefined)
        .catch((error: unknown) => this.logger.error({ msg: 'outbox drain failed', lane: lane.name, err: error }))
        .finally(() => {
          lane.draining = undefined;
          if (this.stopping) return;
          if (lane.wanted) this.nudgeLane(lane);
          // A backlog ended: the background lanes that gave way to it go on.
          if (!this.backlogElsewhere()) {
            for (const other of this.lanes.values()) {
              if (!other.deferred) continue;
              other.deferred = false;
              this.nudgeLane(other);
            }
          }
        }),
    );
  }

  private async drainLane(lane: Lane): Promise<number> {
    let handled = 0;
    try {
      for (;;) {
        lane.wanted = false;
        if (lane.background && this.backlogElsewhere()) {
          lane.deferred = true;
          return handled;
        }
        const batch = await this.claimBatch(lane);
        handled += batch.length;
        // An ordered lane claims again after events finished: the next event of each of their
        // aggregates may be due already, enqueued by another process whose nudge found it held back.
        const successorsFreed = lane.ordered && batch.length > 0;
        if (batch.length < this.config.batchSize && !lane.wanted && !successorsFreed) return handled;
        if (this.stopping) return handled;
      }
    } finally {
      lane.backlogged = false;
    }
  }

  private backlogElsewhere(): boolean {
    for (const lane of this.lanes.values()) if (lane.backlogged) return true;
    return false;
  }

  private async claimBatch(lane: Lane): Promise<OutboxEvent[]> {
    if (this.stopping) return [];
    const now = this.clock.now();
    const owner = `${this.processId}#${++this.claims}`;
    const leaseExpiresAt = new Date(now.getTime() + this.config.leaseMs);
    const batch = await this.claiming.runExclusive(() =>
      this.repository.claim(lane.name, owner, this.config.batchSize, now, leaseExpiresAt, lane.ordered),
    );
    // Known as soon as claimed: the background lanes give way while this batch runs.
    if (!lane.background) lane.backlogged = batch.length >= this.config.batchSize;
    if (batch.length === 0) return batch;
    if (this.stopping) {
      // Shutdown began while we were claiming: give the batch straight back.
      await this.repository.release(batch.map((event) => event.id), owner, this.clock.now());
      return batch;
    }

    const waiting = new Set(batch.map((event) => event.id));
    this.waiting.set(owner, waiting);
    const semaphore = new Semaphore(lane.concurrency);
    const outcomes = await Promise.all(
      batch.map((event) =>
        semaphore.runExclusive(async (): Promise<Outcome | undefined> => {
          if (this.stopping) return undefined; // given back by shutdown
          waiting.delete(event.id);
          return this.run(event, owner, leaseExpiresAt);
        }),
      ),
    );
    this.waiting.delete(owner);

    const done = outcomes.filter((outcome): outcome is Outcome & { ok: true } => outcome?.ok === true);
    await this.repository.markDone(done.map((outcome) => outcome.id), owner, this.clock.now());
    for (const outcome of outcomes) {
      if (outcome && !outcome.ok) await this.repository.markFailed(outcome.failure, owner);
    }
    return batch;
  }

  /**
   * A span per run, in the trace of whatever enqueued it (a retry too): the handler's calls are
   * its children, and so are the lines it logs (a DEAD verdict's too). An event enqueued outside
   * any trace (a job, the CLI) gets its first run's span as its trace, stored with its failure,
   * so that its later attempts continue it.
   */
  private run(event: OutboxEvent, owner: string, leaseExpiresAt: Date): Promise<Outcome> {
    const payload = parsedPayload(event);
    const attributes = spanAttributesOf(event, payload instanceof Error ? undefined : payload);
    return inSpan(event.type, { kind: SpanKind.CONSUMER, parent: event.traceContext, attributes }, async (span) => {
      const outcome = await this.attempt(event, payload, owner, leaseExpiresAt);
      if (!outcome.ok) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.failure.error });
        if (event.traceContext === null) outcome.failure.traceContext = currentTraceContext() ?? undefined;
      }
      return outcome;
    });
  }

  private async attempt(event: OutboxEvent, payload: unknown, owner: string, leaseExpiresAt: Date): Promise<Outcome> {
    if (event.attempts > this.config.maxAttempts) {
      // Started too often without an answer (it kept killing its process?): stop here.
      return this.failure(event, new NonRetryableOutboxError('gave up: attempts exhausted without an outcome'));
    }
    const handler = this.registry.get(event.type);
    if (!handler) return this.failure(event, new NonRetryableOutboxError(`no handler for ${event.type}`));
    if (payload instanceof Error) return this.failure(event, payload);
    return this.handle(handler, event, payload, owner, leaseExpiresAt);
  }

  private async handle(handler: OutboxEventHandler, event: OutboxEvent, payload: unknown, owner: string, leaseExpiresAt: Date): Promise<Outcome> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.config.handlerTimeoutMs);
    try {
      const finished = handler.handle(
        {
          id: event.id,
          type: event.type,
          aggregateType: event.aggregateType,
          aggregateId: event.aggregateId,
          payload,
          attempt: event.attempts,
          createdAt: event.createdAt,
        },
        { leaseExpiresAt, leaseOwner: owner, signal: abort.signal },
      );
      const timedOut = new Promise<never>((_, reject) =>
        abort.signal.addEventListener('abort', () => reject(new Error(`handler timed out after ${this.config.handlerTimeoutMs} ms`))),
      );
      await Promise.race([finished, timedOut]);
      return { id: event.id, ok: true };
    } catch (error) {
      return this.failure(event, error);
    } finally {
      clearTimeout(timer);
    }
  }

  private failure(event: OutboxEvent, error: unknown): Outcome {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const at = this.clock.now();
    const now = at.getTime();
    let nextAttemptAt: Date | null;
    const waiting = error instanceof DependencyUnavailableError;
    if (waiting) {
      // Not an attempt: however long the dependency stays away, the event waits, never DEAD.
      nextAttemptAt = new Date(now + error.delayMs);
    } else if (error instanceof NonRetryableOutboxError || event.attempts >= this.config.maxAttempts) {
      nextAttemptAt = null;
    } else if (error instanceof RetryOutboxEventLater) {
      nextAttemptAt = new Date(now + error.delayMs);
    } else {
      nextAttemptAt = new Date(
        now + backoffDelayMs(event.attempts, { baseMs: this.config.backoffBaseMs, maxMs: this.config.backoffMaxMs }),
      );
    }
    this.logger.warn({
      msg: waiting ? 'outbox event waits for its dependency' : nextAttemptAt ? 'outbox event failed; will retry' : 'outbox event is DEAD',
      eventId: event.id,
      type: event.type,
      attempt: event.attempts,
      error: message.slice(0, 300),
    });
    return { id: event.id, ok: false, failure: { id: event.id, error: message, at, nextAttemptAt, notAnAttempt: waiting } };
  }
}

/** The event's payload, or what made it unreadable. */
function parsedPayload(event: OutboxEvent): unknown {
  try {
    return JSON.parse(event.payload) as unknown;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** What a run's span says of its event: the reservation's code wherever the event names one (a receipt's e-mail names it in its payload). */
function spanAttributesOf(event: OutboxEvent, payload: unknown): Record<string, string | number> {
  const attributes: Record<string, string | number> = {
    'outbox.event.id': event.id,
    'outbox.event.type': event.type,
    'outbox.attempt': event.attempts,
    'outbox.lane': event.lane,
    'outbox.aggregate.type': event.aggregateType,
    'outbox.aggregate.id': event.aggregateId,
  };
  const named = (payload as { reservationCode?: unknown } | null)?.reservationCode;
  const code = event.aggregateType === 'reservation' ? event.aggregateId : typeof named === 'string' ? named : undefined;
  if (code) attributes['reservation.code'] = code;
  return attributes;
}
