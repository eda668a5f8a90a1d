import { buildMessage, ValidateBy, ValidationOptions } from 'class-validator';

/**
 * Length as MySQL counts a utf8mb4 VARCHAR(n): in code points. Not `string.length` (UTF-16
 * units: 𝕏 is 2) nor validator.js's isLength behind `@MaxLength` (it does not count a
 * variation selector U+FE0E/U+FE0F after a character, which the database stores and counts).
 */
export function codePointLength(value: string): number {
  // A string iterates by code point.
  return [...value].length;
}

/**
 * `@MaxLength` for any string stored in a length-limited column: at most `max` code points,
 * so that what passes validation always fits the column.
 */
export function MaxCodePoints(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxCodePoints',
      constraints: [max],
      validator: {
        validate: (value: unknown) => typeof value === 'string' && codePointLength(value) <= max,
        defaultMessage: buildMessage((each) => `${each}$property must be shorter than or equal to $constraint1 characters`, options),
      },
    },
    options,
  );
}
