import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { idempotencyConfig, IdempotencyConfig } from '../config';
import { Clock } from '../time/clock';
import {
  IdempotencyKeyInvalidError,
  IdempotencyKeyMissingError,
  IdempotencyKeyReusedError,
  IdempotentRequestInFlightError,
} from './idempotency.errors';
import { IdempotencyRepository, StoredResponse, storedResponseOf } from './idempotency.repository';

const KEY_PATTERN = /^[\x21-\x7e]{8,255}$/;

export type Admission = { kind: 'proceed'; id: number } | { kind: 'replay'; response: StoredResponse };

/**
 * Stripe-style idempotency keys (IETF httpapi draft): the first request with a key runs; a retry
 * with the same body gets the stored response; another body gets 422; a retry while the first
 * still runs gets 409.
 */
@Injectable()
export class IdempotencyService {
  constructor(
    private readonly repository: IdempotencyRepository,
    private readonly clock: Clock,
    @Inject(idempotencyConfig.KEY) private readonly config: IdempotencyConfig,
  ) {}

  async admit(scope: string, key: string | undefined, body: unknown): Promise<Admission> {
    if (key === undefined || key === '') throw new IdempotencyKeyMissingError();
    if (!KEY_PATTERN.test(key)) throw new IdempotencyKeyInvalidError();

    const requestHash = fingerprint(body);
    const now = this.clock.now();
    const inserted = await this.repository.tryInsert({
      scope,
      key,
      requestHash,
      state: 'IN_FLIGHT',
      responseStatus: null,
      responseHeaders: null,
      responseBody: null,
      lockedUntil: this.lockDeadline(now),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.ttlHours * 3_600_000),
    });
    if (inserted) return { kind: 'proceed', id: inserted.id };

    const existing = await this.repository.find(scope, key);
    // Released between our insert and our read (the first request failed): the client may retry.
    if (!existing) throw new IdempotentRequestInFlightError();
    if (existing.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
    if (existing.state === 'COMPLETED') return { kind: 'replay', response: storedResponseOf(existing) };
    if (existing.lockedUntil.getTime() < now.getTime()) {
      // The first request died without an answer; its work is idempotent, so run it again.
      if (await this.repository.takeOver(existing.id, now, this.lockDeadline(now))) {
        return { kind: 'proceed', id: existing.id };
      }
    }
    throw new IdempotentRequestInFlightError();
  }

  complete(id: number, response: StoredResponse): Promise<void> {
    return this.repository.complete(id, response);
  }

  /** The request failed before it changed anything: forget the key so that a retry runs anew. */
  release(id: number): Promise<void> {
    return this.repository.release(id);
  }

  private lockDeadline(now: Date): Date {
    return new Date(now.getTime() + this.config.lockSeconds * 1000);
  }
}

/** SHA-256 of the body serialised with sorted keys, so that key order does not matter. */
export function fingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
