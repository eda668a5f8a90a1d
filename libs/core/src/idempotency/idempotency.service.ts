import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { idempotencyConfig, IdempotencyConfig } from '../config';
import { TransactionRunner } from '../database';
import { Clock } from '../time/clock';
import { IdempotencyClaim } from './idempotency-claim';
import {
  IdempotencyKeyInvalidError,
  IdempotencyKeyMissingError,
  IdempotencyKeyReusedError,
  IdempotentRequestInFlightError,
} from './idempotency.errors';
import { IdempotencyRepository, StoredResponse, storedResponseOf } from './idempotency.repository';

const KEY_PATTERN = /^[\x21-\x7e]{8,255}$/;

/** What the row of a key already there says: replay its answer, or run (this request took it over); absent when there is none. */
export type Resolution = { kind: 'replay'; response: StoredResponse } | { kind: 'proceed' } | { kind: 'absent' };

/**
 * Stripe-style idempotency keys (IETF httpapi draft): the first request with a key runs; a retry
 * with the same body gets the stored response; another body gets 422; a retry while the first
 * still runs gets 409.
 */
@Injectable()
export class IdempotencyService {
  constructor(
    private readonly repository: IdempotencyRepository,
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
    @Inject(idempotencyConfig.KEY) private readonly config: IdempotencyConfig,
  ) {}

  /** The claim of a request's key, nothing written yet; 400 when the key is missing or malformed. */
  claimFor(scope: string, key: string | undefined, body: unknown): IdempotencyClaim {
    if (key === undefined || key === '') throw new IdempotencyKeyMissingError();
    if (!KEY_PATTERN.test(key)) throw new IdempotencyKeyInvalidError();
    const requestHash = fingerprint(body);
    const newRow = () => {
      const now = this.clock.now();
      return {
        scope,
        key,
        requestHash,
        state: 'IN_FLIGHT' as const,
        responseStatus: null,
        responseHeaders: null,
        responseBody: null,
        lockedUntil: this.lockDeadline(now),
        createdAt: now,
        expiresAt: new Date(now.getTime() + this.config.ttlHours * 3_600_000),
      };
    };
    return new IdempotencyClaim(scope, key, requestHash, newRow, this.repository, this.transactions);
  }

  /**
   * What the key's row says to a request that did not get to claim it: another body → 422;
   * answered → replay; in flight → 409, unless its lock ran out (the request died without an
   * answer), in which case one request takes it over (a conditional update decides which) and
   * runs again, the claim held. No row at all: absent.
   */
  async resolve(claim: IdempotencyClaim): Promise<Resolution> {
    const existing = await this.repository.find(claim.scope, claim.key);
    if (!existing) return { kind: 'absent' };
    if (existing.requestHash !== claim.requestHash) throw new IdempotencyKeyReusedError();
    if (existing.state === 'COMPLETED') return { kind: 'replay', response: storedResponseOf(existing) };
    const now = this.clock.now();
    if (existing.lockedUntil.getTime() < now.getTime() && (await this.repository.takeOver(existing.id, now, this.lockDeadline(now)))) {
      // Its work is idempotent (the reservation is found by its key), so run it again.
      claim.tookOver(existing.id);
      return { kind: 'proceed' };
    }
    throw new IdempotentRequestInFlightError();
  }

  private lockDeadline(now: Date): Date {
    return new Date(now.getTime() + this.config.lockSeconds * 1000);
  }
}

/** SHA-256 of the body serialised with sorted keys, so that key order does not matter. */
export function fingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** A piece of output already written out, on the work stack of `canonicalJson`. */
class Written {
  constructor(readonly text: string) {}
}

/**
 * JSON with the keys of every object sorted. Walks with a stack of its own instead of
 * recursing, so that no body, however deep, can overflow the call stack (the body parser
 * refuses deep ones anyway). The output must never change: stored fingerprints depend on it.
 */
function canonicalJson(value: unknown): string {
  const out: string[] = [];
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (item instanceof Written) {
      out.push(item.text);
    } else if (Array.isArray(item)) {
      // Pushed in reverse, so that they come off the stack in order.
      pending.push(new Written(']'));
      for (let i = item.length - 1; i >= 0; i--) {
        pending.push(item[i]);
        if (i > 0) pending.push(new Written(','));
      }
      out.push('[');
    } else if (item !== null && typeof item === 'object') {
      const keys = Object.keys(item).sort();
      pending.push(new Written('}'));
      for (let i = keys.length - 1; i >= 0; i--) {
        pending.push((item as Record<string, unknown>)[keys[i]]);
        pending.push(new Written(`${i > 0 ? ',' : ''}${JSON.stringify(keys[i])}:`));
      }
      out.push('{');
    } else {
      out.push(JSON.stringify(item ?? null));
    }
  }
  return out.join('');
}
