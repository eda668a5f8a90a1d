import fc from 'fast-check';
import { backoffCeilingMs, backoffDelayMs } from './backoff';

describe('backoff with full jitter', () => {
  const options = { baseMs: 1000, maxMs: 60_000 };

  it('doubles its ceiling per attempt up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => backoffCeilingMs(attempt, options))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000,
    ]);
  });

  it('draws every delay in [0, ceiling)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
        const delay = backoffDelayMs(attempt, options, () => r);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(backoffCeilingMs(attempt, options));
      }),
    );
  });

  it('spreads retries out (jitter), rather than retrying in lockstep', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(5, options)));
    expect(delays.size).toBeGreaterThan(40);
  });
});
