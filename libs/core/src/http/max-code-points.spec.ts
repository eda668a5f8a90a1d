import { validateSync } from 'class-validator';
import { codePointLength, MaxCodePoints } from './max-code-points';

class Named {
  @MaxCodePoints(5, { context: { code: 'NAME.TOO_LONG' } })
  name!: unknown;
}

const errorsFor = (name: unknown) => {
  const named = Object.assign(new Named(), { name });
  return validateSync(named).map((error) => ({ constraints: error.constraints, contexts: error.contexts }));
};

describe('lengths as the database counts them', () => {
  it('counts code points: a character outside the BMP is one, a variation selector is one more', () => {
    expect(codePointLength('abc')).toBe(3);
    expect(codePointLength('𝕏𝕏')).toBe(2);
    expect(codePointLength('a\uFE0F')).toBe(2);
    expect(codePointLength('🚗\uFE0F')).toBe(2);
  });

  it('refuses past the limit what @MaxLength would let through, and takes what fits', () => {
    expect(errorsFor('𝕏𝕏𝕏𝕏𝕏')).toEqual([]);
    expect(errorsFor('abcde')).toEqual([]);
    // Six code points; isLength behind @MaxLength counts three.
    expect(errorsFor('a\uFE0Fb\uFE0Fc\uFE0F')).toEqual([
      { constraints: { maxCodePoints: 'name must be shorter than or equal to 5 characters' }, contexts: { maxCodePoints: { code: 'NAME.TOO_LONG' } } },
    ]);
    expect(errorsFor(12345)).toHaveLength(1);
  });
});
