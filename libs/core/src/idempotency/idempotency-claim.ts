import { EntityManager } from 'typeorm';
import { TransactionRunner } from '../database';
import { IdempotencyKey } from './idempotency-key.entity';
import { IdempotencyRepository, StoredResponse } from './idempotency.repository';

/**
 * One request's Idempotency-Key, and what of it is written. The key's row goes in IN_FLIGHT
 * with the first work the request commits (`claim`), and the answer a retry will get with the
 * last (`complete`). `@Idempotent()` claims before the route runs and stores the answer after
 * it, each alone; with `@Idempotent({ claimedByRoute: true })` the route does both inside its
 * own transactions (it gets the claim through `@IdempotencyKeyClaim()`), so that they cost no
 * commit of their own and a failure before its first commit leaves no key behind.
 */
export class IdempotencyClaim<R = unknown> {
  private id: number | null = null;
  /** The key's row is committed and this request's: until it stores its answer or lets go. */
  private held = false;
  private completed = false;
  private answer: ((result: R) => StoredResponse) | null = null;

  constructor(
    readonly scope: string,
    readonly key: string,
    /** The request's fingerprint: what the work it admits may keep (see `IdempotencyFingerprint`). */
    readonly requestHash: string,
    private readonly newRow: () => Omit<IdempotencyKey, 'id'>,
    private readonly repository: IdempotencyRepository,
    private readonly transactions: TransactionRunner,
  ) {}

  /** How the route's result becomes the answer a retry replays: the same as the route sends. */
  answeredBy<T>(answer: (result: T) => StoredResponse): IdempotencyClaim<T> {
    const typed = this as unknown as IdempotencyClaim<T>;
    typed.answer = answer;
    return typed;
  }

  /**
   * Writes the key's row IN_FLIGHT, inside `manager`'s transaction (held once it commits) or
   * alone. Nothing to write when this request holds the row already (it took it over from a
   * request that died). A key already there throws `IdempotencyKeyTakenError`: the
   * interceptor answers it from the row (replay, 409, 422).
   */
  async claim(manager?: EntityManager): Promise<void> {
    if (this.held) return;
    this.id = await this.repository.insert(this.newRow(), manager);
    this.afterCommit(manager, () => (this.held = true));
  }

  /** Stores `result` as the answer (see `answeredBy`), inside `manager`'s transaction or alone. */
  async complete(result: R, manager?: EntityManager): Promise<void> {
    if (!this.answer) throw new Error(`IdempotencyClaim of ${this.scope}: answeredBy() was not called`);
    await this.store(this.answer(result), manager);
  }

  /** After the route answered: stores what it sent, unless the route stored its answer itself. */
  async settle(response: StoredResponse): Promise<void> {
    if (this.completed) return;
    await this.claim();
    await this.store(response);
  }

  /**
   * After the route failed: lets go of a row this request holds, so that a retry runs anew (the
   * work rolled back, or it is found again by its key). False when there was none to let go.
   */
  async releaseIfHeld(): Promise<boolean> {
    if (!this.held || this.completed || this.id === null) return false;
    await this.repository.release(this.id);
    this.held = false;
    return true;
  }

  /** The row of a request that died is this request's now (`IdempotencyService.resolve`). */
  tookOver(id: number): void {
    this.id = id;
    this.held = true;
  }

  private async store(response: StoredResponse, manager?: EntityManager): Promise<void> {
    if (this.id === null) throw new Error(`IdempotencyClaim of ${this.scope}: the key was never claimed`);
    await this.repository.complete(this.id, response, manager);
    this.afterCommit(manager, () => (this.completed = true));
  }

  private afterCommit(manager: EntityManager | undefined, hook: () => void): void {
    if (manager) this.transactions.afterCommit(manager, hook);
    else hook();
  }
}
