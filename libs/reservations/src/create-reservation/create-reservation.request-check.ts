import { codePointLength, refuseUnknownFields } from '@app/core';
import { isDefined, isEmail, isInt, isNotEmptyObject, isString, matches, max, min } from 'class-validator';

/**
 * The hand check of a create's body (a `RequestCheck`, see @app/core): class-validator and
 * class-transformer cost about a twentieth of a create's CPU. A `Shape` lists a DTO's fields
 * with their decorators as rules; the check answers what the pipe would with class-validator
 * (the spec `create-reservation-request.spec.ts` compares both on generated bodies):
 *
 * - the value is built as class-transformer builds it: a new DTO (so its declared fields come
 *   first, as own keys), then each key of the body in order, a nested DTO built from an object
 *   (an array stays one: `IsNotEmptyObject` refuses it before its items are looked at); it
 *   skips a key naming a method of the DTO (`toString`, `valueOf`, …), and `prototype`, which
 *   the pipe deletes from the body first;
 * - whitelist validation refuses the built value's unknown keys first, then each declared
 *   field gets its first failing rule only (stopAtFirstError): `IsDefined` first, then the
 *   other decorators bottom-up (the order they register in), then the nested DTO's errors.
 *
 * The rules call class-validator's own functions, with the patterns and options of the
 * decorators, and write its messages.
 */

/** The options of a decorator, which name its error code (and may replace its message). */
export interface CodedOptions {
  readonly context: { readonly code: string };
  readonly message?: string;
}

/** One decorator: whether a value passes, and its error when not (`$property`: the field's name). */
export interface Rule {
  readonly valid: (value: unknown) => boolean;
  readonly code: string;
  readonly message: string;
}

const ruleOf = (valid: (value: unknown) => boolean, options: CodedOptions, defaultMessage: string): Rule => ({
  valid,
  code: options.context.code,
  message: options.message ?? defaultMessage,
});

/** The decorators as rules, with class-validator's default messages (`$constraint1` written out). */
export const rule = {
  IsDefined: (options: CodedOptions) => ruleOf(isDefined, options, '$property should not be null or undefined'),
  IsString: (options: CodedOptions) => ruleOf(isString, options, '$property must be a string'),
  Matches: (pattern: RegExp, options: CodedOptions) =>
    // `matches` is typed for strings, and returns false for any other value.
    ruleOf((value) => matches(value as string, pattern), options, `$property must match ${String(pattern)} regular expression`),
  /** Our `MaxCodePoints` of @app/core. */
  MaxCodePoints: (maximum: number, options: CodedOptions) =>
    ruleOf((value) => typeof value === 'string' && codePointLength(value) <= maximum, options, `$property must be shorter than or equal to ${maximum} characters`),
  IsEmail: (emailOptions: Parameters<typeof isEmail>[1], options: CodedOptions) =>
    ruleOf((value) => isEmail(value, emailOptions), options, '$property must be an email'),
  IsInt: (options: CodedOptions) => ruleOf(isInt, options, '$property must be an integer number'),
  Min: (minimum: number, options: CodedOptions) => ruleOf((value) => min(value, minimum), options, `$property must not be less than ${minimum}`),
  Max: (maximum: number, options: CodedOptions) => ruleOf((value) => max(value, maximum), options, `$property must not be greater than ${maximum}`),
  IsNotEmptyObject: (objectOptions: Parameters<typeof isNotEmptyObject>[1], options: CodedOptions) =>
    ruleOf((value) => isNotEmptyObject(value, objectOptions), options, '$property must be a non-empty object'),
};

/** A declared field: its rules in the order class-validator runs them, and the DTO of a `@ValidateNested()` one. */
export interface Field {
  readonly rules: readonly Rule[];
  readonly nested?: Shape<object>;
}

/** A DTO class and its declared fields. */
export interface Shape<T extends object> {
  readonly type: new () => T;
  readonly fields: { readonly [K in keyof T & string]: Field };
}

type Fail = (field: string, code: string, message: string) => void;
type Bag = Record<string, unknown>;

/** Checks `value` against `shape` (see above), calling `fail` for each error; returns the DTO built. */
export function checkShape<T extends object>(shape: Shape<T>, value: Record<string, unknown>, fail: Fail): T {
  const built = build(shape, value);
  validate(shape, built as Bag, '', fail);
  return built;
}

/** The DTO class-transformer makes of `value`; of a body array too: its indices are unknown keys, and no field is there. */
function build<T extends object>(shape: Shape<T>, value: object): T {
  const built = new shape.type() as Bag;
  const fields = shape.fields as Readonly<Record<string, Field>>;
  for (const [key, item] of Object.entries(value)) {
    if (!copied(built, key)) continue;
    const nested = Object.hasOwn(fields, key) ? fields[key].nested : undefined;
    built[key] = nested && item !== null && typeof item === 'object' && !Array.isArray(item) ? build(nested, item as object) : item;
  }
  return built as T;
}

/**
 * Whether the pipe carries `key` to the DTO: it deletes `prototype` (with `__proto__` and
 * `constructor`, refused before any check); class-transformer skips `__proto__`, `constructor`,
 * an accessor without setter of the class and whatever the new object holds a function under.
 */
function copied(built: Bag, key: string): boolean {
  if (key === '__proto__' || key === 'constructor' || key === 'prototype') return false;
  const descriptor = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(built) as object, key);
  return !((descriptor && !descriptor.set) || built[key] instanceof Function);
}

function validate(shape: Shape<object>, built: Bag, path: string, fail: Fail): void {
  const fields = shape.fields as Readonly<Record<string, Field>>;
  refuseUnknownFields(built, Object.keys(fields), (field, code, message) => fail(path + field, code, message));
  for (const [name, field] of Object.entries(fields)) {
    const value = built[name];
    const broken = field.rules.find((candidate) => !candidate.valid(value));
    if (broken) fail(path + name, broken.code, broken.message.replace(/\$property/g, name));
    // A nested DTO past its rules (IsDefined, IsNotEmptyObject) is an object `build` made.
    else if (field.nested) validate(field.nested, value as Bag, `${path}${name}.`, fail);
  }
}
