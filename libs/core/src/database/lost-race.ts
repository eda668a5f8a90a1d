import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { ConflictError, isDeadlockOrLockTimeout } from '../errors';

/**
 * Another writer changed the row since this transaction read it (its `lock_version` moved on).
 * The lost writer's transaction is rolled back; run again, it reloads and decides again.
 */
export abstract class ChangedConcurrentlyError extends ConflictError {}

/** A transaction that lost a race: an optimistic lock, a deadlock or a lock wait it gave up on. */
export function isLostRace(error: unknown): boolean {
  return error instanceof ChangedConcurrentlyError || isDeadlockOrLockTimeout(error);
}

/** Retries after the first run; the seventh loss in a row is the caller's (409 or outbox backoff). */
export const LOST_RACE_RETRIES = 6;

/**
 * The one retry policy for lost races, written at each call site around the whole transaction:
 *
 *     retryLostRaces.execute(() => this.transactions.run(async (manager) => { … }))
 *
 * Each run is a transaction of its own, so it rereads what it decides on. The pause grows from
 * 2 ms to 100 ms with jitter, so that the writers that collided do not collide again in step.
 * `TransactionRunner` does not retry by itself: what is retried is visible where it is written
 * (ADR 0012). Operator actions are not retried: their `lock_version` is the one the operator saw.
 */
export const retryLostRaces = retry(handleWhen(isLostRace), {
  maxAttempts: LOST_RACE_RETRIES,
  backoff: new ExponentialBackoff({ initialDelay: 2, maxDelay: 100 }),
});
