import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock, currentTraceContext, TransactionRunner } from '@app/core';
import { OutboxDrainer } from './outbox-drainer';
import { OutboxStatus } from './outbox-event.entity';
import { DEFAULT_LANE, OutboxHandlerRegistry } from './outbox-handler';
import { UnknownOutboxEventTypeError } from './outbox.errors';
import { OutboxRepository } from './outbox.repository';

export interface NewOutboxEvent {
  type: string;
  aggregateType: string;
  aggregateId: string;
  /** Identifiers, not personal data: the handler reads the rest from the aggregate. */
  payload: Record<string, unknown>;
  /** Not before this instant (default: at once). */
  notBefore?: Date;
  /**
   * The handler ships in a later release: keep the event, unclaimed ("parked"), until a
   * process with the handler starts and releases it. Without this, a type with no handler
   * is refused.
   */
  parkUntilHandled?: boolean;
}

/** What slices use: `enqueue` inside their own transaction, so the event exists iff it commits. */
@Injectable()
export class Outbox {
  constructor(
    private readonly repository: OutboxRepository,
    private readonly registry: OutboxHandlerRegistry,
    private readonly transactions: TransactionRunner,
    private readonly drainer: OutboxDrainer,
    private readonly clock: Clock,
  ) {}

  async enqueue(manager: EntityManager, event: NewOutboxEvent): Promise<number> {
    const lane = this.registry.laneOf(event.type);
    if (!lane && !event.parkUntilHandled) throw new UnknownOutboxEventTypeError(event.type);
    const now = this.clock.now();
    const dueAt = lane ? (event.notBefore ?? now) : null;
    const id = await this.repository.insert(manager, {
      type: event.type,
      // A parked event takes its lane when a process with its handler starts (settleLanes).
      lane: lane ?? DEFAULT_LANE,
      aggregateType: event.aggregateType,
      aggregateId: event.aggregateId,
      payload: JSON.stringify(event.payload),
      status: OutboxStatus.PENDING,
      attempts: 0,
      nextAttemptAt: dueAt,
      leaseOwner: null,
      leaseExpiresAt: null,
      lastError: null,
      createdAt: now,
      updatedAt: now,
      processedAt: null,
      traceContext: currentTraceContext(),
    });
    // Once committed, this process starts on it at once (its lane only): milliseconds, not a poll interval.
    if (dueAt && dueAt <= now) this.transactions.afterCommit(manager, () => this.drainer.nudge(lane));
    return id;
  }

  /**
   * Whether a handler is at work on an event of one of `types` for this aggregate, in this
   * process or another (a process that died keeps its events PROCESSING until the lease ends
   * and another process runs them again): what an action that must not overlap it checks.
   */
  isProcessing(manager: EntityManager, aggregate: { type: string; id: string }, types: readonly string[]): Promise<boolean> {
    return this.repository.isProcessing(manager, aggregate.type, aggregate.id, types);
  }

  /** Events of `types` not yet done (due or waiting), and the DEAD ones: a sink's backlog for operators. */
  unfinished(types: readonly string[]): ReturnType<OutboxRepository['unfinished']> {
    return this.repository.unfinished(types);
  }

  /** The aggregates of `aggregateType` one of whose events of `types` is DEAD (nothing runs it again until an operator requeues it). */
  deadAggregates(aggregateType: string, types: readonly string[]): Promise<string[]> {
    return this.repository.deadAggregates(aggregateType, types);
  }
}
