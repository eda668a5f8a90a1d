import fc from 'fast-check';
import { fingerprint } from './idempotency.service';

describe('request fingerprint', () => {
  it('ignores key order at every depth', () => {
    expect(fingerprint({ a: 1, b: { c: 2, d: [1, 2] } })).toBe(fingerprint({ b: { d: [1, 2], c: 2 }, a: 1 }));
  });

  it('tells different bodies apart', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        // Equal fingerprints exactly for bodies equal up to key order.
        const equalUpToKeyOrder = JSON.stringify(sortDeep(a)) === JSON.stringify(sortDeep(b));
        expect(fingerprint(a) === fingerprint(b)).toBe(equalUpToKeyOrder);
      }),
    );
    expect(fingerprint({ amount: 100 })).not.toBe(fingerprint({ amount: 101 }));
    expect(fingerprint([1, 2])).not.toBe(fingerprint([2, 1]));
  });
});

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortDeep((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
