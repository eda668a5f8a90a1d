import 'reflect-metadata';
import { createValidationPipe } from '@app/core';
import { CustomerLookupQuery } from './get-reservation.controller';

/** The same DTO without its hand-written check: class-validator and class-transformer decide. */
class ByClassValidator extends CustomerLookupQuery {}

const pipe = createValidationPipe();
const outcome = (metatype: typeof CustomerLookupQuery, value: unknown) =>
  pipe.transform(value, { type: 'query', metatype }).then(
    (result: unknown) => ({ ok: { ...(result as object) } }),
    (error: { code?: string; fieldErrors?: () => unknown }) => ({ code: error.code, fields: error.fieldErrors?.() }),
  );

describe('CustomerLookupQuery checked by hand', () => {
  const cases: [string, unknown][] = [
    ['an e-mail', { email: 'ana@example.com' }],
    ['an empty e-mail', { email: '' }],
    ['no e-mail', {}],
    ['two e-mails', { email: ['a@example.com', 'b@example.com'] }],
    ['a nested object', { email: { a: '1' } }],
    ['254 code points', { email: '𝕏'.repeat(254) }],
    ['255 code points', { email: '𝕏'.repeat(255) }],
    ['unknown fields', { zeta: '1', email: 'ana@example.com', alpha: ['2'] }],
    ['unknown fields and no e-mail', { other: '1' }],
    ['__proto__ and constructor', JSON.parse('{"__proto__": "x", "constructor": "y", "email": "ana@example.com"}')],
  ];

  it.each(cases)('answers %s as class-validator does', async (_name, value) => {
    expect(await outcome(CustomerLookupQuery, value)).toEqual(await outcome(ByClassValidator, value));
  });

  it('gives the controller a CustomerLookupQuery', async () => {
    expect(await pipe.transform({ email: 'ana@example.com' }, { type: 'query', metatype: CustomerLookupQuery })).toBeInstanceOf(CustomerLookupQuery);
  });
});
