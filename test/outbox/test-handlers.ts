import { Injectable, Module } from '@nestjs/common';
import {
  DependencyUnavailableError,
  NonRetryableOutboxError,
  OutboxEventHandler,
  OutboxHandler,
  OutboxHandlerContext,
  OutboxMessage,
  RetryOutboxEventLater,
} from '@app/outbox';

/** Records when each event started, in memory: what the latency and rollback tests read. */
@Injectable()
@OutboxHandler('TEST_RECORD')
export class RecordingHandler implements OutboxEventHandler<{ n: number }> {
  readonly started = new Map<number, number>();

  // Idempotent: it only notes the first start time of each event.
  async handle(message: OutboxMessage<{ n: number }>): Promise<void> {
    if (!this.started.has(message.payload.n)) this.started.set(message.payload.n, performance.now());
  }
}

/** Fails as told: `mode` is switched by the tests. */
@Injectable()
@OutboxHandler('TEST_FLAKY')
export class FlakyHandler implements OutboxEventHandler {
  mode: 'fail' | 'succeed' | 'fatal' | 'later' = 'fail';
  readonly runs: { attempt: number; at: number }[] = [];

  // Idempotent: it changes nothing but its own run log.
  async handle(message: OutboxMessage, context: OutboxHandlerContext): Promise<void> {
    this.runs.push({ attempt: message.attempt, at: Date.now() });
    expectLease(context);
    if (this.mode === 'fail') throw new Error('supplier said 503 (customer ana@example.com)'.replace(/\(.*\)/, '').trim());
    if (this.mode === 'fatal') throw new NonRetryableOutboxError('rejected for good');
    if (this.mode === 'later') throw new RetryOutboxEventLater(5_000, 'come back in 5 s');
  }
}

/** Blocks until released: for shutdown tests. */
@Injectable()
@OutboxHandler('TEST_SLOW')
export class SlowHandler implements OutboxEventHandler {
  started = 0;
  finished = 0;
  private release?: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));

  // Idempotent: counters only.
  async handle(): Promise<void> {
    this.started++;
    await this.gate;
    this.finished++;
  }

  open(): void {
    this.release?.();
  }
}

function expectLease(context: OutboxHandlerContext): void {
  if (!(context.leaseExpiresAt instanceof Date) || !context.leaseOwner) throw new Error('handler ran without a lease');
}

@Module({ providers: [RecordingHandler, FlakyHandler, SlowHandler] })
export class TestHandlersModule {}

/** What one run of a scripted event does: its outcome, after being held until released if `hold`. */
export interface ScriptedStep {
  outcome: 'ok' | 'fail' | 'fatal' | 'unavailable';
  hold: boolean;
}

/** One run of a scripted event, as its handler saw it; `startedAt` and `finishedAt` are ticks of one counter. */
export interface ScriptedRun {
  eventId: number;
  aggregateId: string;
  attempt: number;
  owner: string;
  step: ScriptedStep;
  startedAt: number;
  finishedAt?: number;
}

/**
 * Runs each event as its payload's script says, step after step (then `ok`), and records every
 * start and finish; a held step stays running until the test releases it (or `holding` is off).
 */
export class ScriptedHandler implements OutboxEventHandler<{ script: ScriptedStep[] }> {
  readonly runs: ScriptedRun[] = [];
  /** Off: held steps go through at once (settling). */
  holding = true;
  private ticks = 0;
  private readonly gates = new Map<ScriptedRun, () => void>();

  // Idempotent: it changes nothing but its own run log.
  async handle(message: OutboxMessage<{ script: ScriptedStep[] }>, context: OutboxHandlerContext): Promise<void> {
    const previous = this.runs.filter((run) => run.eventId === message.id).length;
    const step = message.payload.script[previous] ?? { outcome: 'ok', hold: false };
    const run: ScriptedRun = {
      eventId: message.id,
      aggregateId: message.aggregateId,
      attempt: message.attempt,
      owner: context.leaseOwner,
      step,
      startedAt: ++this.ticks,
    };
    this.runs.push(run);
    try {
      if (step.hold && this.holding) await new Promise<void>((resolve) => this.gates.set(run, resolve));
      if (step.outcome === 'fail') throw new Error('scripted failure');
      if (step.outcome === 'fatal') throw new NonRetryableOutboxError('scripted fatal failure');
      if (step.outcome === 'unavailable') throw new DependencyUnavailableError(3_600_000, 'scripted outage');
    } finally {
      run.finishedAt = ++this.ticks;
    }
  }

  /** The runs waiting to be released, oldest first. */
  held(): ScriptedRun[] {
    return [...this.gates.keys()];
  }

  release(run: ScriptedRun): void {
    this.gates.get(run)?.();
    this.gates.delete(run);
  }

  releaseAll(): void {
    for (const run of this.held()) this.release(run);
  }

  /** Lets every held run go and forgets them all. */
  reset(): void {
    this.holding = false;
    this.releaseAll();
    this.runs.length = 0;
    this.holding = true;
  }
}

/** Each aggregate's events one at a time, in order (ADR 0017). */
@Injectable()
@OutboxHandler('TEST_ORDERED', { lane: 'test-ordered', ordered: true })
export class OrderedScriptedHandler extends ScriptedHandler {}

/** The same, in a lane that is not ordered. */
@Injectable()
@OutboxHandler('TEST_UNORDERED', { lane: 'test-unordered' })
export class UnorderedScriptedHandler extends ScriptedHandler {}

@Module({ providers: [OrderedScriptedHandler, UnorderedScriptedHandler] })
export class ScriptedHandlersModule {}
