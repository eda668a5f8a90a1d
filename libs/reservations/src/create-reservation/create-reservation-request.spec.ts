import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import fc from 'fast-check';
import { createValidationPipe, DomainError, fingerprint } from '@app/core';
import { CreateReservationRequest, CustomerRequest, PlaceRequest, PriceRequest } from './create-reservation.request';

/** The same DTO without its hand-written check (`CheckedBy` reads own metadata): class-validator and class-transformer decide. */
class ByClassValidator extends CreateReservationRequest {}

const pipe = createValidationPipe();

const valid = () => ({
  supplier_code: 'HERTZ',
  pickup: { office_code: 'MAD-T4', at: '2027-03-01T10:00' },
  dropoff: { office_code: 'BCN-T1', at: '2027-03-05T10:00' },
  car_category: 'CDMR',
  customer: { first_name: 'Ana', last_name: 'Pérez', email: 'ana@example.com', phone: '+34600111222' },
  price: { amount: 18950, currency: 'EUR' },
});
type Body = ReturnType<typeof valid>;
const VALID = valid();

/** What the pipe answers, as a client and the controller see it. */
async function outcome(metatype: typeof CreateReservationRequest, value: unknown): Promise<unknown> {
  try {
    const result = (await pipe.transform(value, { type: 'body', metatype })) as CreateReservationRequest;
    return {
      ok: JSON.stringify(result),
      types: [
        result instanceof CreateReservationRequest,
        result.pickup instanceof PlaceRequest,
        result.dropoff instanceof PlaceRequest,
        result.customer instanceof CustomerRequest,
        result.price instanceof PriceRequest,
      ],
    };
  } catch (error) {
    // RequestValidationError is not on @app/core's public face: its name stands for it.
    if (!(error instanceof DomainError)) throw error;
    return { error: error.constructor.name, code: error.code, message: error.message, fields: error.fieldErrors() };
  }
}

/**
 * Both ways, each from its own parse of the JSON text as the body parser makes it (own
 * `__proto__` keys, no `undefined`): the class-validator way deletes `prototype` keys in place.
 */
async function bothWays(text: string): Promise<[unknown, unknown]> {
  return [await outcome(CreateReservationRequest, JSON.parse(text)), await outcome(ByClassValidator, JSON.parse(text))];
}

const json = (value: unknown) => JSON.stringify(value);
const withField = (path: string, value: unknown): string => {
  const body = valid() as unknown as Record<string, Record<string, unknown>>;
  const [first, second] = path.split('.');
  if (second === undefined) (body as Record<string, unknown>)[first] = value;
  else body[first][second] = value;
  return json(body);
};
const without = (path: string): string => withField(path, undefined);

const FIELDS = [
  'supplier_code',
  'pickup',
  'pickup.office_code',
  'pickup.at',
  'dropoff',
  'dropoff.office_code',
  'dropoff.at',
  'car_category',
  'customer',
  'customer.first_name',
  'customer.last_name',
  'customer.email',
  'customer.phone',
  'price',
  'price.amount',
  'price.currency',
];
const NESTED = ['pickup', 'dropoff', 'customer', 'price'];

const cases: [string, string][] = [
  ['a valid body', json(VALID)],
  [
    'a valid body with its keys in another order',
    json({
      price: { currency: 'EUR', amount: 18950 },
      customer: VALID.customer,
      car_category: 'CDMR',
      dropoff: VALID.dropoff,
      pickup: { at: VALID.pickup.at, office_code: 'MAD-T4' },
      supplier_code: 'HERTZ',
    }),
  ],
  ['an empty body', '{}'],
  ['an array for a body', '[]'],
  ['a body of arrays', json([VALID, 1, 'x'])],
  ...FIELDS.map((field): [string, string] => [`no ${field}`, without(field)]),
  ...FIELDS.map((field): [string, string] => [`${field} null`, withField(field, null)]),
  ...FIELDS.map((field): [string, string] => [`${field} a number`, withField(field, 42)]),
  ...FIELDS.map((field): [string, string] => [`${field} a string`, withField(field, 'MAD-T4')]),
  ...FIELDS.map((field): [string, string] => [`${field} true`, withField(field, true)]),
  ...FIELDS.map((field): [string, string] => [`${field} an array`, withField(field, ['EUR'])]),
  ...FIELDS.map((field): [string, string] => [`${field} an empty object`, withField(field, {})]),
  ...NESTED.map((field): [string, string] => [`${field} an array of itself`, withField(field, [VALID[field as keyof Body]])]),
  ...NESTED.map((field): [string, string] => [`${field} an empty array`, withField(field, [])]),
  ...NESTED.map((field): [string, string] => [`${field} with an unknown key`, withField(field, { ...(VALID[field as keyof Body] as object), zeta: 1 })]),
  ...NESTED.map((field): [string, string] => [`${field} with only unknown keys`, withField(field, { zeta: 1, alpha: { a: 1 } })]),
  ...NESTED.map((field): [string, string] => [`${field} with toString and prototype only`, withField(field, { toString: 'x', prototype: 1 })]),
  ['unknown keys at the top', json({ zeta: 1, ...VALID, alpha: [2], '10': 'x', '2': null })],
  ['unknown keys everywhere and errors', json({ zeta: 1, ...VALID, pickup: { zz: 1, at: 'x' }, price: { amount: '1', yy: 2 } })],
  ['keys naming methods of Object', json({ ...VALID, toString: 1, valueOf: 'x', hasOwnProperty: null, __defineGetter__: 2, isPrototypeOf: {} })],
  ['prototype at the top', json({ ...VALID, prototype: { a: 1 } })],
  ['prototype nested', json({ ...VALID, customer: { ...VALID.customer, prototype: 'x' } })],
  ['__proto__ and constructor at the top', '{"__proto__": "x", "constructor": "y", "supplier_code": "HERTZ"}'],
  ['__proto__ nested', json(VALID).replace('"pickup":{', '"pickup":{"__proto__":{"office_code":"X"},')],
  ['constructor nested', json(VALID).replace('"price":{', '"price":{"constructor":1,')],
  ['a 100-code-point name of astral characters', withField('customer.first_name', '𝕏'.repeat(100))],
  ['a 101-code-point name of astral characters', withField('customer.first_name', '𝕏'.repeat(101))],
  ['a too long name with control characters', withField('customer.last_name', '\u0007' + 'a'.repeat(200))],
  ['a name with a NUL', withField('customer.first_name', 'An\u0000a')],
  ['a name with a C1 control', withField('customer.last_name', 'P\u0085rez')],
  ['a name with a tab', withField('customer.first_name', 'Ana\tMaría')],
  ['a blank name', withField('customer.first_name', '   ')],
  ['an empty name', withField('customer.last_name', '')],
  ['a name of a number', withField('customer.first_name', 7)],
  ['the amount as a string', withField('price.amount', '18950')],
  ['a float amount', withField('price.amount', 189.5)],
  ['a zero amount', withField('price.amount', 0)],
  ['a negative amount', withField('price.amount', -5)],
  ['a negative float amount', withField('price.amount', -0.5)],
  ['the largest amount', withField('price.amount', 99_999_999)],
  ['too large an amount', withField('price.amount', 100_000_000)],
  ['an enormous amount', withField('price.amount', 1e300)],
  ['a lowercase currency', withField('price.currency', 'eur')],
  ['a four-letter currency', withField('price.currency', 'EURO')],
  ['a bad e-mail', withField('customer.email', 'ana@')],
  ['an e-mail over 254 code points', withField('customer.email', `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`)],
  ['an astral e-mail', withField('customer.email', '𝕏𝕏@example.com')],
  ['a phone without +', withField('customer.phone', '34600111222')],
  ['a lowercase office code', withField('pickup.office_code', 'mad-t4')],
  ['a time with seconds', withField('dropoff.at', '2027-03-05T10:00:00')],
  ['a lowercase car category', withField('car_category', 'cdmr')],
  ['a supplier code with a dash', withField('supplier_code', 'HER-TZ')],
  [
    'several errors at once',
    json({
      supplier_code: 'x',
      pickup: 'MAD',
      dropoff: { office_code: 5, at: null, extra: 1 },
      car_category: ['CDMR'],
      customer: { first_name: '', last_name: 'a'.repeat(101), email: 'no', phone: 1 },
      price: { amount: 1.5, currency: 'eur' },
      other: true,
    }),
  ],
];

describe('CreateReservationRequest checked by hand', () => {
  it('is not checked by hand in its subclass (CheckedBy reads own metadata)', async () => {
    const validate = jest.spyOn(pipe as unknown as { validate: ValidationPipe['validate'] }, 'validate');
    try {
      await pipe.transform(valid(), { type: 'body', metatype: CreateReservationRequest });
      expect(validate).not.toHaveBeenCalled();
      await pipe.transform(valid(), { type: 'body', metatype: ByClassValidator });
      expect(validate).toHaveBeenCalledTimes(1);
    } finally {
      validate.mockRestore();
    }
  });

  it.each(cases)('answers %s as class-validator does', async (_name, text) => {
    const [byHand, byClassValidator] = await bothWays(text);
    expect(byHand).toEqual(byClassValidator);
  });

  it('refuses with a RequestValidationError', async () => {
    expect(await outcome(CreateReservationRequest, { ...valid(), pickup: {} })).toMatchObject({ error: 'RequestValidationError', code: 'REQUEST.VALIDATION_FAILED' });
  });

  it('gives the controller instances of the DTO classes, with the fields it reads', async () => {
    const body = await pipe.transform(valid(), { type: 'body', metatype: CreateReservationRequest });
    expect(body).toBeInstanceOf(CreateReservationRequest);
    expect(body.pickup).toBeInstanceOf(PlaceRequest);
    expect(body.customer).toBeInstanceOf(CustomerRequest);
    expect(body.price).toBeInstanceOf(PriceRequest);
    expect(JSON.parse(JSON.stringify(body))).toEqual(VALID);
  });

  it('leaves the idempotency fingerprint as it was: the body is not changed, and the DTO hashes as the body', async () => {
    // The interceptor hashes the raw body (`request.body`) before the pipe runs; the DTO hashes the same all the same.
    const body = valid();
    const before = fingerprint(body);
    const byHand = await pipe.transform(body, { type: 'body', metatype: CreateReservationRequest });
    expect(fingerprint(body)).toBe(before);
    expect(body).toEqual(VALID);
    expect(fingerprint(byHand)).toBe(before);
    expect(fingerprint(await pipe.transform(valid(), { type: 'body', metatype: ByClassValidator }))).toBe(before);
  });

  describe('on bodies made by mutating a valid one', () => {
    type Container = (string | number)[];
    const CONTAINERS: Container[] = [[], ['pickup'], ['dropoff'], ['customer'], ['price']];
    const KEYS = [...new Set(FIELDS.flatMap((field) => field.split('.')))];
    const SPECIAL_KEYS = ['toString', 'valueOf', 'hasOwnProperty', 'prototype', 'constructor', '__proto__', '0', '1', ''];
    const value = fc.oneof(
      { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
      {
        weight: 3,
        arbitrary: fc.constantFrom<unknown>(
          '', ' ', '\u0000', '\u009f', '𝕏'.repeat(101), 'a'.repeat(255), 'MAD-T4', 'mad-t4', 'HERTZ', 'CDMR', 'EUR', 'eur',
          '2027-03-01T10:00', '18950', 'ana@example.com', '+34600111222', 0, 1, -1, 1.5, 99_999_999, 100_000_000, null, true,
          {}, [], [{}], VALID.pickup, VALID.customer, VALID.price, [VALID.price], { toString: 1 }, { prototype: 1 },
        ),
      },
      { weight: 1, arbitrary: fc.string() },
    );
    const mutation = fc.record({
      container: fc.constantFrom(...CONTAINERS),
      kind: fc.constantFrom('drop', 'replace', 'add'),
      key: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KEYS) }, { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_KEYS) }, { weight: 1, arbitrary: fc.string() }),
      value,
    });
    const body = fc.oneof(
      { weight: 20, arbitrary: fc.array(mutation, { maxLength: 4 }).map((mutations) => mutate(mutations)) },
      // A body that is not an object of ours at all.
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).filter((item) => item !== null && typeof item === 'object').map(json) },
    );

    function mutate(mutations: { container: Container; kind: string; key: string; value: unknown }[]): string {
      const root: unknown = valid();
      for (const { container, kind, key, value: item } of mutations) {
        const target = container.reduce<unknown>((node, step) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[step] : undefined), root);
        if (target === null || typeof target !== 'object') continue;
        const bag = target as Record<string, unknown>;
        const keys = Object.keys(bag);
        if (kind === 'drop' && keys.length > 0) delete bag[keys[Math.abs(hash(key)) % keys.length]];
        else if (kind === 'replace' && keys.length > 0) define(bag, keys[Math.abs(hash(key)) % keys.length], item);
        else if (kind === 'add') define(bag, key, item);
      }
      return json(root);
    }
    /** An own key, `__proto__` too, as JSON.parse makes it. */
    const define = (bag: Record<string, unknown>, key: string, item: unknown) =>
      Object.defineProperty(bag, key, { value: item, enumerable: true, writable: true, configurable: true });
    const hash = (text: string) => [...text].reduce((sum, char) => sum * 31 + char.codePointAt(0)!, 7) | 0;

    it('answers as class-validator does', async () => {
      let accepted = 0;
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(body, async (text) => {
          const [byHand, byClassValidator] = await bothWays(text);
          expect(byHand).toEqual(byClassValidator);
          if ((byHand as { ok?: string }).ok) accepted++;
          else refused++;
        }),
        { numRuns: 3000 },
      );
      // Both kinds of answer, in numbers: the property compares more than errors.
      expect(accepted).toBeGreaterThan(150);
      expect(refused).toBeGreaterThan(1000);
    });
  });
});
