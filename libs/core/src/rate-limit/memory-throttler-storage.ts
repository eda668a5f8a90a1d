import { OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;
const SWEEP_INTERVAL_MS = 60_000;

interface Budget {
  /** When each counted hit leaves the window, oldest first; live ones from `head` on. */
  expirations: number[];
  head: number;
}

interface KeyRecord {
  expiresAt: number;
  blockExpiresAt: number;
  isBlocked: boolean;
  budgets: Map<string, Budget>;
}

/**
 * The in-memory store of the rate limits (no `REDIS_URL`): @nestjs/throttler's
 * `ThrottlerStorageService`, same answers, with the hits of a key kept as a queue. The
 * original filters every hit of the window into a new array on each request, so its cost
 * grows with the requests a client made in the last minute (36,000 for one client at 600
 * req/s, a new array of that size per request). Hits enter in order (now + a fixed ttl per
 * budget), so the expired ones are always at the front: dropping them moves a head index,
 * and the array is compacted once half of it is dead.
 */
export class MemoryThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly records = new Map<string, KeyRecord>();
  private sweep?: NodeJS.Timeout;

  increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    this.sweep ??= setInterval(() => this.evictIdle(Date.now()), SWEEP_INTERVAL_MS).unref();
    const now = Date.now();
    let record = this.records.get(key);
    if (!record) {
      record = { expiresAt: now + ttl, blockExpiresAt: 0, isBlocked: false, budgets: new Map() };
      this.records.set(key, record);
    }
    const budget = this.budgetOf(record, throttlerName);
    prune(budget, now);
    let timeToExpire = secondsUntil(record.expiresAt, now);
    if (timeToExpire <= 0) {
      record.expiresAt = now + ttl;
      timeToExpire = secondsUntil(record.expiresAt, now);
    }
    if (blockDuration <= 0) {
      const isBlocked = live(budget) >= limit;
      if (!isBlocked) budget.expirations.push(now + ttl);
      const timeToBlockExpire = live(budget) > 0 ? secondsUntil(budget.expirations[budget.head], now) : timeToExpire;
      return Promise.resolve({ totalHits: live(budget) + (isBlocked ? 1 : 0), timeToExpire, isBlocked, timeToBlockExpire: isBlocked ? timeToBlockExpire : 0 });
    }
    if (!record.isBlocked) budget.expirations.push(now + ttl);
    if (live(budget) > limit && !record.isBlocked) {
      record.isBlocked = true;
      record.blockExpiresAt = now + blockDuration;
    }
    const timeToBlockExpire = secondsUntil(record.blockExpiresAt, now);
    if (timeToBlockExpire <= 0 && record.isBlocked) {
      record.isBlocked = false;
      budget.expirations = [now + ttl];
      budget.head = 0;
    }
    return Promise.resolve({ totalHits: live(budget), timeToExpire, isBlocked: record.isBlocked, timeToBlockExpire });
  }

  onApplicationShutdown(): void {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = undefined;
    this.records.clear();
  }

  private budgetOf(record: KeyRecord, name: string): Budget {
    let budget = record.budgets.get(name);
    if (!budget) {
      budget = { expirations: [], head: 0 };
      record.budgets.set(name, budget);
    }
    return budget;
  }

  /** As the original's sweep: a key neither blocked, nor in its window, nor with a live hit. */
  private evictIdle(now: number): void {
    for (const [key, record] of this.records) {
      if (record.isBlocked && record.blockExpiresAt > now) continue;
      if (record.expiresAt > now) continue;
      if ([...record.budgets.values()].some((budget) => (prune(budget, now), live(budget) > 0))) continue;
      this.records.delete(key);
    }
  }
}

function secondsUntil(at: number, now: number): number {
  return Math.ceil((at - now) / 1000);
}

function live(budget: Budget): number {
  return budget.expirations.length - budget.head;
}

function prune(budget: Budget, now: number): void {
  const { expirations } = budget;
  while (budget.head < expirations.length && expirations[budget.head] <= now) budget.head++;
  if (budget.head > 64 && budget.head * 2 > expirations.length) {
    budget.expirations = expirations.slice(budget.head);
    budget.head = 0;
  }
}
