import { Injectable, Module } from '@nestjs/common';
import {
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
