import fc from 'fast-check';
import { createHash } from 'node:crypto';
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

  it('is the same as the recursive fingerprint it replaced, so that stored keys still match', () => {
    fc.assert(fc.property(fc.jsonValue(), (body) => expect(fingerprint(body)).toBe(recursiveFingerprint(body))));
    const odd = { b: [undefined, null, { z: 1, a: [] }], a: undefined, ['__proto__']: { x: '"' } };
    expect(fingerprint(JSON.parse('{"__proto__":{"x":1},"a":[]}'))).toBe(recursiveFingerprint(JSON.parse('{"__proto__":{"x":1},"a":[]}')));
    expect(fingerprint(odd)).toBe(recursiveFingerprint(odd));
  });

  it('cannot overflow the stack, however deep the body', () => {
    const depth = 200_000;
    const deepArrays = JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    expect(fingerprint(deepArrays)).toBe(createHash('sha256').update(`${'['.repeat(depth)}${']'.repeat(depth)}`).digest('hex'));
    let deepObjects: unknown = 1;
    for (let i = 0; i < depth; i++) deepObjects = { a: deepObjects };
    expect(fingerprint(deepObjects)).toMatch(/^[0-9a-f]{64}$/);
  });
});

/** The implementation before it became iterative (it overflowed a few thousand levels deep). */
function recursiveFingerprint(body: unknown): string {
  const canonical = (value: unknown): string => {
    if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
    if (value !== null && typeof value === 'object') {
      const entries = Object.keys(value)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`);
      return `{${entries.join(',')}}`;
    }
    return JSON.stringify(value ?? null);
  };
  return createHash('sha256').update(canonical(body)).digest('hex');
}

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
