import fc from 'fast-check';
import {
  generateReservationCode,
  normalizeReservationCode,
  RESERVATION_CODE_ALPHABET,
  RESERVATION_CODE_PATTERN,
} from './reservation-code';

describe('reservation codes', () => {
  it('has 32 symbols and none of the look-alikes 0, O, 1, I', () => {
    expect(RESERVATION_CODE_ALPHABET).toHaveLength(32);
    expect(new Set(RESERVATION_CODE_ALPHABET).size).toBe(32);
    for (const lookAlike of ['0', 'O', '1', 'I']) expect(RESERVATION_CODE_ALPHABET).not.toContain(lookAlike);
  });

  it('maps any random bytes to 8 characters of the alphabet', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), (bytes) => {
        const code = generateReservationCode(() => Buffer.from(bytes));
        expect(code).toMatch(RESERVATION_CODE_PATTERN);
      }),
    );
  });

  it('uses every symbol with equal weight (no modulo bias)', () => {
    const counts = new Map<string, number>();
    for (let byte = 0; byte < 256; byte++) {
      const symbol = generateReservationCode(() => Buffer.alloc(8, byte))[0];
      counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
    }
    expect(counts.size).toBe(32);
    expect(new Set(counts.values())).toEqual(new Set([8]));
  });

  it('draws from the crypto source: 10,000 codes without a repeat', () => {
    const codes = new Set(Array.from({ length: 10_000 }, () => generateReservationCode()));
    expect(codes.size).toBe(10_000);
  });

  it('accepts a looked-up code in any letter case and refuses what cannot be a code', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.boolean(), (bytes, lower) => {
        const code = generateReservationCode(() => Buffer.from(bytes));
        expect(normalizeReservationCode(lower ? code.toLowerCase() : code)).toBe(code);
      }),
    );
    expect(normalizeReservationCode('ABCDEFG0')).toBeUndefined();
    expect(normalizeReservationCode('ABC')).toBeUndefined();
    expect(normalizeReservationCode("' OR 1=1 --")).toBeUndefined();
  });
});
