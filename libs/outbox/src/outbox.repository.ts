import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, IsNull, Not, Repository } from 'typeorm';
import { EntitySql, retryLostRaces, TransactionRunner } from '@app/core';
import { OutboxEvent, OutboxStatus } from './outbox-event.entity';

export interface Failure {
  id: number;
  error: string;
  /** When the failure was judged; the retry delay counts from here. */
  at: Date;
  /** null: DEAD. */
  nextAttemptAt: Date | null;
  /** The run waited on a dependency that is away: it is not counted as an attempt. */
  notAnAttempt?: boolean;
  /**
   * The run's own trace context, for an event that was enqueued with none (a job, the CLI): its
   * later attempts continue this trace instead of each starting one.
   */
  traceContext?: string;
}

/**
 * An ordered lane's claim (ADR 0017): no earlier event of the same aggregate in the lane is
 * unfinished. Read without locks (a locking read does not lock a subquery's rows); under READ
 * COMMITTED it sees the latest commits, so an earlier event leased by a claim that has not
 * committed yet still counts as unfinished. Through IX_outbox_events_aggregate, a few rows per
 * aggregate: MariaDB, left to itself, took the lane's index and read the whole lane per
 * candidate (45 ms a claim at 2,000 events due, 2 ms with the hint); SQLite takes it unasked.
 */
function noEarlierUnfinished(kind: 'mysql' | 'sqlite'): string {
  const hint = kind === 'mysql' ? ' USE INDEX (IX_outbox_events_aggregate)' : '';
  return (
    `NOT EXISTS (SELECT 1 FROM outbox_events earlier${hint} WHERE earlier.aggregate_type = e.aggregate_type ` +
    "AND earlier.aggregate_id = e.aggregate_id AND earlier.lane = e.lane AND earlier.id < e.id AND earlier.status <> 'DONE')"
  );
}

export interface OutboxStats {
  byStatus: Record<OutboxStatus, number>;
  byType: { type: string; status: OutboxStatus; count: number }[];
  /** Seconds the oldest due event has waited; 0 when nothing is due. */
  oldestDueAgeSeconds: number;
}

const outboxEventSql = new EntitySql(OutboxEvent);

@Injectable()
export class OutboxRepository {
  constructor(
    @InjectRepository(OutboxEvent) private readonly events: Repository<OutboxEvent>,
    private readonly transactions: TransactionRunner,
  ) {}

  /** Writes an event inside the caller's transaction. */
  insert(manager: EntityManager, event: Omit<OutboxEvent, 'id'>): Promise<number> {
    return outboxEventSql.insert(manager, event);
  }

  /**
   * Takes up to `limit` due events of one lane and leases them to `owner` until `leaseExpiresAt`.
   * MySQL: `FOR UPDATE SKIP LOCKED` under READ COMMITTED (no gap locks, so enqueues are never
   * blocked), so concurrent drainers take disjoint rows. SQLite: the writer mutex serialises
   * claims, which is the single-writer path.
   */
  async claim(lane: string, owner: string, limit: number, now: Date, leaseExpiresAt: Date, ordered = false): Promise<OutboxEvent[]> {
    // SKIP LOCKED never waits on a leased row, but a claim can still be a deadlock's victim (index
    // entries shared with an enqueue or a release): it then claims again.
    return retryLostRaces.execute(() =>
      this.transactions.run(async (manager) => {
        // One range of IX_outbox_events_lane_due: the lane's due events, oldest first.
        const query = manager
          .createQueryBuilder(OutboxEvent, 'e')
          .where('e.lane = :lane', { lane })
          .andWhere('e.nextAttemptAt <= :now', { now })
          .orderBy('e.nextAttemptAt', 'ASC')
          .addOrderBy('e.id', 'ASC')
          .limit(limit);
        if (ordered) query.andWhere(noEarlierUnfinished(this.transactions.kind));
        // The hint matters: for `ORDER BY next_attempt_at, id LIMIT n` the optimiser may prefer
        // IX_outbox_events_due, whose scan locks (and so makes other lanes' claims skip) every
        // lane's due rows.
        if (this.transactions.kind === 'mysql') {
          query.useIndex('IX_outbox_events_lane_due').setLock('pessimistic_write').setOnLocked('skip_locked');
        }
        const rows = await query.getMany();
        if (rows.length === 0) return rows;
        await manager
          .createQueryBuilder()
          .update(OutboxEvent)
          .set({
            status: OutboxStatus.PROCESSING,
            leaseOwner: owner,
            leaseExpiresAt,
            nextAttemptAt: leaseExpiresAt,
            attempts: () => 'attempts + 1',
            updatedAt: now,
          })
          .whereInIds(rows.map((row) => row.id))
          .execute();
        for (const row of rows) {
          Object.assign(row, { status: OutboxStatus.PROCESSING, leaseOwner: owner, leaseExpiresAt, attempts: row.attempts + 1 });
        }
        return rows;
      }, 'READ COMMITTED'),
    );
  }

  /** Marks events DONE, only while `owner` still holds them (a lease lost is a run not counted). */
  async markDone(ids: number[], owner: string, now: Date): Promise<void> {
    if (ids.length === 0) return;
    // Idempotent (only while `owner` holds them): a deadlock's loser runs again rather than leave
    // the events PROCESSING until their lease ends, and run them twice.
    await retryLostRaces.execute(() => this.transactions.single((manager) =>
      manager
        .createQueryBuilder()
        .update(OutboxEvent)
        .set({
          status: OutboxStatus.DONE,
          nextAttemptAt: null,
          leaseOwner: null,
          leaseExpiresAt: null,
          lastError: null,
          processedAt: now,
          updatedAt: now,
        })
        .where({ id: In(ids), leaseOwner: owner, status: OutboxStatus.PROCESSING })
        .execute(),
    ));
  }

  async markFailed(failure: Failure, owner: string): Promise<void> {
    await retryLostRaces.execute(() => this.transactions.single((manager) =>
      manager
        .createQueryBuilder()
        .update(OutboxEvent)
        .set({
          status: failure.nextAttemptAt ? OutboxStatus.PENDING : OutboxStatus.DEAD,
          nextAttemptAt: failure.nextAttemptAt,
          leaseOwner: null,
          leaseExpiresAt: null,
          lastError: failure.error.slice(0, 1000),
          updatedAt: failure.at,
          ...(failure.notAnAttempt ? { attempts: () => 'attempts - 1' } : {}),
          ...(failure.traceContext ? { traceContext: failure.traceContext } : {}),
        })
        .where({ id: failure.id, leaseOwner: owner, status: OutboxStatus.PROCESSING })
        .execute(),
    ));
  }

  /** Gives back leased events that were never started (shutdown): due at once, the claim not counted. */
  async release(ids: number[], owner: string, now: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.transactions.single((manager) =>
      manager
        .createQueryBuilder()
        .update(OutboxEvent)
        .set({
          status: OutboxStatus.PENDING,
          nextAttemptAt: now,
          leaseOwner: null,
          leaseExpiresAt: null,
          attempts: () => 'attempts - 1',
          updatedAt: now,
        })
        .where({ id: In(ids), leaseOwner: owner, status: OutboxStatus.PROCESSING })
        .execute(),
    );
  }

  /** An operator's second chance: DEAD (or, with force, DONE) back to PENDING with fresh attempts. */
  async requeue(id: number, now: Date, allowed: OutboxStatus[]): Promise<boolean> {
    const result = await this.transactions.single((manager) =>
      manager
        .createQueryBuilder()
        .update(OutboxEvent)
        .set({ status: OutboxStatus.PENDING, attempts: 0, nextAttemptAt: now, leaseOwner: null, leaseExpiresAt: null, updatedAt: now })
        .where({ id, status: In(allowed) })
        .execute(),
    );
    return result.affected === 1;
  }

  /** Is an event of one of `types` for this aggregate being handled (claimed, or held by a process that died)? */
  async isProcessing(manager: EntityManager, aggregateType: string, aggregateId: string, types: readonly string[]): Promise<boolean> {
    const count = await manager.count(OutboxEvent, {
      where: { aggregateType, aggregateId, type: In([...types]), status: OutboxStatus.PROCESSING },
    });
    return count > 0;
  }

  findById(id: number): Promise<OutboxEvent | null> {
    return this.events.findOneBy({ id });
  }

  async list(filter: { status?: OutboxStatus; type?: string }, page: { limit: number; afterId?: number }) {
    const query = this.events.createQueryBuilder('e').orderBy('e.id', 'DESC').limit(page.limit);
    if (filter.status) query.andWhere('e.status = :status', { status: filter.status });
    if (filter.type) query.andWhere('e.type = :type', { type: filter.type });
    if (page.afterId !== undefined) query.andWhere('e.id < :afterId', { afterId: page.afterId });
    return query.getMany();
  }

  async stats(now: Date): Promise<OutboxStats> {
    const rows: { type: string; status: OutboxStatus; count: string | number }[] = await this.events
      .createQueryBuilder('e')
      .select('e.type', 'type')
      .addSelect('e.status', 'status')
      .addSelect('COUNT(*)', 'count')
      .groupBy('e.type')
      .addGroupBy('e.status')
      .getRawMany();
    const byStatus = { PENDING: 0, PROCESSING: 0, DONE: 0, DEAD: 0 } as Record<OutboxStatus, number>;
    for (const row of rows) byStatus[row.status] += Number(row.count);
    const oldest = await this.events.findOne({
      where: { nextAttemptAt: Not(IsNull()), status: OutboxStatus.PENDING },
      order: { nextAttemptAt: 'ASC' },
    });
    const due = oldest?.nextAttemptAt && oldest.nextAttemptAt <= now ? oldest.nextAttemptAt : undefined;
    return {
      byStatus,
      byType: rows.map((row) => ({ type: row.type, status: row.status, count: Number(row.count) })),
      oldestDueAgeSeconds: due ? Math.round((now.getTime() - due.getTime()) / 1000) : 0,
    };
  }

  /**
   * What the metrics show, cheaply enough for every scrape: only unfinished and DEAD rows are
   * counted (the `(status, type)` index), never the DONE history.
   */
  async backlog(now: Date): Promise<{ type: string; status: OutboxStatus; count: number; oldestDue: Date | null }[]> {
    const rows: { type: string; status: OutboxStatus; count: string | number; oldest: Date | string | null }[] = await this.events
      .createQueryBuilder('e')
      .select('e.type', 'type')
      .addSelect('e.status', 'status')
      .addSelect('COUNT(*)', 'count')
      .addSelect('MIN(e.nextAttemptAt)', 'oldest')
      .where('e.status IN (:...statuses)', { statuses: [OutboxStatus.PENDING, OutboxStatus.PROCESSING, OutboxStatus.DEAD] })
      .andWhere('(e.status <> :pending OR e.nextAttemptAt <= :now)', { pending: OutboxStatus.PENDING, now })
      .groupBy('e.type')
      .addGroupBy('e.status')
      .getRawMany();
    return rows.map((row) => ({
      type: row.type,
      status: row.status,
      count: Number(row.count),
      oldestDue: row.status === OutboxStatus.PENDING && row.oldest ? asDate(row.oldest) : null,
    }));
  }

  /**
   * Events of `types` not yet done, due or not (waiting for a retry, held back behind an earlier
   * one), with the creation time of the oldest and the DEAD ones apart: a sink's backlog. Reads
   * the `(status, type)` index, never the DONE history.
   */
  async unfinished(types: readonly string[]): Promise<{ type: string; status: OutboxStatus; count: number; oldestCreatedAt: Date | null }[]> {
    if (types.length === 0) return [];
    const rows: { type: string; status: OutboxStatus; count: string | number; oldest: Date | string | null }[] = await this.events
      .createQueryBuilder('e')
      .select('e.type', 'type')
      .addSelect('e.status', 'status')
      .addSelect('COUNT(*)', 'count')
      .addSelect('MIN(e.createdAt)', 'oldest')
      .where('e.status IN (:...statuses)', { statuses: [OutboxStatus.PENDING, OutboxStatus.PROCESSING, OutboxStatus.DEAD] })
      .andWhere('e.type IN (:...types)', { types: [...types] })
      .groupBy('e.type')
      .addGroupBy('e.status')
      .getRawMany();
    return rows.map((row) => ({ type: row.type, status: row.status, count: Number(row.count), oldestCreatedAt: row.oldest ? asDate(row.oldest) : null }));
  }

  /** The aggregates (of one type) with a DEAD event of `types`, oldest DEAD first, each once; through the `(status, type)` index. */
  async deadAggregates(aggregateType: string, types: readonly string[]): Promise<string[]> {
    if (types.length === 0) return [];
    const rows: { id: string }[] = await this.events
      .createQueryBuilder('e')
      .select('e.aggregateId', 'id')
      .addSelect('MIN(e.id)', 'firstDeadId')
      .where('e.status = :dead', { dead: OutboxStatus.DEAD })
      .andWhere('e.type IN (:...types)', { types: [...types] })
      .andWhere('e.aggregateType = :aggregateType', { aggregateType })
      .groupBy('e.aggregateId')
      .orderBy('firstDeadId', 'ASC')
      .getRawMany();
    return rows.map((row) => row.id);
  }

  /** Types due or running (PENDING or PROCESSING, parked ones aside): each needs a handler here. */
  async pendingTypes(): Promise<string[]> {
    const rows: { type: string }[] = await this.events
      .createQueryBuilder('e')
      .select('DISTINCT e.type', 'type')
      .where('e.status IN (:...statuses)', { statuses: [OutboxStatus.PENDING, OutboxStatus.PROCESSING] })
      .andWhere('e.nextAttemptAt IS NOT NULL')
      .getRawMany();
    return rows.map((row) => row.type);
  }

  /**
   * At start: every unfinished event of a handled type moves to its handler's lane (rows written
   * before lanes, or before a type changed lane), and parked events of types that now have a
   * handler become due. Returns how many were unparked.
   */
  async settleLanes(lanes: Map<string, string[]>, now: Date): Promise<number> {
    for (const [lane, types] of lanes) {
      await this.transactions.single((manager) =>
        manager
          .createQueryBuilder()
          .update(OutboxEvent)
          .set({ lane })
          .where({ status: In([OutboxStatus.PENDING, OutboxStatus.PROCESSING]), type: In(types), lane: Not(lane) })
          .execute(),
      );
    }
    const types = [...lanes.values()].flat();
    if (types.length === 0) return 0;
    const unparked = await this.transactions.single((manager) =>
      manager
        .createQueryBuilder()
        .update(OutboxEvent)
        .set({ nextAttemptAt: now, updatedAt: now })
        .where({ status: OutboxStatus.PENDING, nextAttemptAt: IsNull(), type: In(types) })
        .execute(),
    );
    return unparked.affected ?? 0;
  }
}

/** A raw MIN() comes back as a Date (mysql2) or as the stored text, in UTC (SQLite). */
function asDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`);
}
