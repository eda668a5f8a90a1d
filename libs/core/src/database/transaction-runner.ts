import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Mutex } from 'async-mutex';
import { DataSource, EntityManager } from 'typeorm';
import { DatabaseKind } from './data-source-options';

export type IsolationLevel = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

/**
 * The one way to write: `run(manager => …)` opens a transaction and hands its manager to the
 * caller, who passes it on explicitly. It never retries: a caller whose transaction may lose a
 * race (an optimistic lock, a deadlock) wraps the whole `run` in `retryLostRaces`, where it can
 * be seen (ADR 0012). SQLite has one connection, so concurrent transactions would interleave on it: there, writes
 * are queued behind a mutex (the embedded default is single-writer by design).
 */
@Injectable()
export class TransactionRunner {
  private readonly sqliteWriter = new Mutex();
  private readonly afterCommitHooks = new WeakMap<EntityManager, (() => void)[]>();
  readonly kind: DatabaseKind;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.kind = dataSource.options.type === 'better-sqlite3' ? 'sqlite' : 'mysql';
  }

  async run<T>(work: (manager: EntityManager) => Promise<T>, isolation?: IsolationLevel): Promise<T> {
    const hooks: (() => void)[] = [];
    const result = await this.transaction(isolation, (manager) => {
      hooks.length = 0;
      this.afterCommitHooks.set(manager, hooks);
      return work(manager);
    });
    for (const hook of hooks) hook();
    return result;
  }

  /**
   * Runs `hook` once the transaction of `manager` has committed (never if it rolls back).
   * Outside a transaction of this runner the hook runs at once.
   */
  afterCommit(manager: EntityManager, hook: () => void): void {
    const hooks = this.afterCommitHooks.get(manager);
    if (hooks) hooks.push(hook);
    else hook();
  }

  /**
   * One write statement without a transaction of its own (autocommit): a round trip cheaper
   * than `run`. On SQLite it still queues behind the writer mutex.
   */
  async single<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.kind === 'sqlite') return this.sqliteWriter.runExclusive(() => work(this.dataSource.manager));
    return work(this.dataSource.manager);
  }

  private transaction<T>(isolation: IsolationLevel | undefined, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.kind === 'sqlite') {
      return this.sqliteWriter.runExclusive(() => this.dataSource.transaction(work));
    }
    return isolation ? this.dataSource.transaction(isolation, work) : this.dataSource.transaction(work);
  }
}
