import { ThrottlerStorageService } from '@nestjs/throttler';
import { MemoryThrottlerStorage } from './memory-throttler-storage';

/** Same answers as @nestjs/throttler's own in-memory store, step by step, blocking or not. */
describe('MemoryThrottlerStorage', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-12-01T10:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it.each([
    ['blocking for the ttl', 60_000],
    ['blocking for 5 s', 5_000],
    ['without blocking', 0],
  ])('answers as ThrottlerStorageService, %s', async (_name, blockDuration) => {
    const ours = new MemoryThrottlerStorage();
    const theirs = new ThrottlerStorageService();
    // Bursts and pauses across several windows, two keys and two budget names.
    const steps = [0, 10, 10, 500, 1_000, 2_000, 20_000, 30_000, 9_000, 1, 1, 61_000, 100, 100, 100, 100, 59_900, 200, 5_000, 120_000, 0, 0];
    try {
      for (const [i, advance] of steps.entries()) {
        jest.advanceTimersByTime(advance);
        for (const [key, name] of [['a', 'lookup'], ['b', 'create'], ['a', 'lookup']]) {
          const expected = await theirs.increment(key, 60_000, 3, blockDuration, name);
          expect([i, key, await ours.increment(key, 60_000, 3, blockDuration, name)]).toEqual([i, key, expected]);
        }
      }
    } finally {
      ours.onApplicationShutdown();
      theirs.onApplicationShutdown();
    }
  });

  it('keeps the cost of a request flat however many hits the window holds', async () => {
    const ours = new MemoryThrottlerStorage();
    for (let i = 0; i < 50_000; i++) {
      if (i % 100 === 0) jest.advanceTimersByTime(200);
      await ours.increment('one-client', 60_000, 1_000_000, 60_000, 'lookup');
    }
    const last = await ours.increment('one-client', 60_000, 1_000_000, 60_000, 'lookup');
    expect(last.totalHits).toBe(30_001);
    ours.onApplicationShutdown();
  });
});
