import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, LessThan, Repository } from 'typeorm';
import { isUniqueViolation } from '../errors';
import { EntitySql, TransactionRunner } from '../database';
import { IdempotencyKey } from './idempotency-key.entity';
import { IdempotencyKeyTakenError } from './idempotency.errors';

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Hand-written SQL for the statements of every create (`EntitySql`): no query builder, no read-back. */
const keySql = new EntitySql(IdempotencyKey);

@Injectable()
export class IdempotencyRepository {
  constructor(
    @InjectRepository(IdempotencyKey) private readonly keys: Repository<IdempotencyKey>,
    private readonly transactions: TransactionRunner,
  ) {}

  /**
   * Inserts an IN_FLIGHT row, inside the caller's transaction when `manager` is one (else alone,
   * in autocommit); returns its id. A key already there throws `IdempotencyKeyTakenError`.
   */
  async insert(row: Omit<IdempotencyKey, 'id'>, manager?: EntityManager): Promise<number> {
    try {
      return await (manager ? keySql.insert(manager, row) : this.transactions.single((autocommit) => keySql.insert(autocommit, row)));
    } catch (error) {
      if (isUniqueViolation(error, 'UQ_idempotency_keys_scope_key', 'idempotency_keys.scope')) throw new IdempotencyKeyTakenError();
      throw error;
    }
  }

  async find(scope: string, key: string): Promise<IdempotencyKey | null> {
    const manager = this.keys.manager;
    const sql = keySql.statement(
      manager,
      'find',
      () => `${keySql.selectAll(manager)} WHERE ${keySql.column(manager, 'scope')} = ? AND ${keySql.column(manager, 'key')} = ?`,
    );
    const rows = (await manager.query(sql, [scope, key])) as Record<string, unknown>[];
    return rows.length > 0 ? keySql.hydrate(manager, rows[0]) : null;
  }

  /** Takes over an IN_FLIGHT row whose lock expired (its request died); true if this caller won. */
  async takeOver(id: number, now: Date, lockedUntil: Date): Promise<boolean> {
    const result = await this.transactions.single((manager) =>
      manager
        .createQueryBuilder()
        .update(IdempotencyKey)
        .set({ lockedUntil })
        .where('id = :id AND state = :state AND locked_until < :now', { id, state: 'IN_FLIGHT', now })
        .execute(),
    );
    return result.affected === 1;
  }

  /** Stores the answer, inside the caller's transaction when `manager` is one (else alone, in autocommit). */
  async complete(id: number, response: StoredResponse, manager?: EntityManager): Promise<void> {
    const write = async (target: EntityManager) => {
      const column = (property: keyof IdempotencyKey & string) => keySql.column(target, property);
      const sql = keySql.statement(
        target,
        'complete',
        () =>
          `UPDATE ${keySql.table(target)} SET ${column('state')} = ?, ${column('responseStatus')} = ?, ` +
          `${column('responseHeaders')} = ?, ${column('responseBody')} = ? WHERE ${column('id')} = ?`,
      );
      await keySql.execute(target, sql, ['COMPLETED', response.status, JSON.stringify(response.headers), JSON.stringify(response.body ?? null), id]);
    };
    await (manager ? write(manager) : this.transactions.single(write));
  }

  async release(id: number): Promise<void> {
    await this.transactions.single((manager) => manager.delete(IdempotencyKey, { id, state: 'IN_FLIGHT' }));
  }

  /** Deletes up to `limit` expired keys; returns how many went. */
  async deleteExpired(now: Date, limit: number): Promise<number> {
    const expired = await this.keys.find({ select: { id: true }, where: { expiresAt: LessThan(now) }, take: limit });
    if (expired.length === 0) return 0;
    const result = await this.transactions.single((manager) => manager.delete(IdempotencyKey, expired.map((row) => row.id)));
    // Another process's clean-up may have taken some of them first.
    return result.affected ?? expired.length;
  }
}

export function storedResponseOf(row: IdempotencyKey): StoredResponse {
  return {
    status: row.responseStatus ?? 200,
    headers: row.responseHeaders ? (JSON.parse(row.responseHeaders) as Record<string, string>) : {},
    body: row.responseBody ? (JSON.parse(row.responseBody) as unknown) : null,
  };
}
