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

/** `requestHash`: the request's fingerprint, which the work it admits may keep (see `IdempotencyFingerprint`). */
export type Admission = { kind: 'proceed'; id: number; requestHash: string } | { kind: 'replay'; response: StoredResponse };

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
    if (inserted) return { kind: 'proceed', id: inserted.id, requestHash };

    const existing = await this.repository.find(scope, key);
    // Released between our insert and our read (the first request failed): the client may retry.
    if (!existing) throw new IdempotentRequestInFlightError();
    if (existing.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
    if (existing.state === 'COMPLETED') return { kind: 'replay', response: storedResponseOf(existing) };
    if (existing.lockedUntil.getTime() < now.getTime()) {
      // The first request died without an answer; its work is idempotent, so run it again.
      if (await this.repository.takeOver(existing.id, now, this.lockDeadline(now))) {
        return { kind: 'proceed', id: existing.id, requestHash };
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
