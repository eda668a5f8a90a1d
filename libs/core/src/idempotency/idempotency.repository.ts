import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import { isUniqueViolation } from '../errors';
import { TransactionRunner } from '../database';
import { IdempotencyKey } from './idempotency-key.entity';

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

@Injectable()
export class IdempotencyRepository {
  constructor(
    @InjectRepository(IdempotencyKey) private readonly keys: Repository<IdempotencyKey>,
    private readonly transactions: TransactionRunner,
  ) {}

  /** Inserts an IN_FLIGHT row; returns null when the key already exists in this scope. */
  async tryInsert(row: Omit<IdempotencyKey, 'id'>): Promise<IdempotencyKey | null> {
    try {
      const result = await this.transactions.single((manager) => manager.insert(IdempotencyKey, row));
      return { ...row, id: Number(result.identifiers[0].id) };
    } catch (error) {
      if (isUniqueViolation(error, 'UQ_idempotency_keys_scope_key', 'idempotency_keys.scope')) return null;
      throw error;
    }
  }

  find(scope: string, key: string): Promise<IdempotencyKey | null> {
    return this.keys.findOneBy({ scope, key });
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

  async complete(id: number, response: StoredResponse): Promise<void> {
    await this.transactions.single((manager) =>
      manager.update(IdempotencyKey, id, {
        state: 'COMPLETED',
        responseStatus: response.status,
        responseHeaders: JSON.stringify(response.headers),
        responseBody: JSON.stringify(response.body ?? null),
      }),
    );
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
