import { Receipt } from '@app/receipts';
import request from 'supertest';
import { aCreateBody, aKey, CreateBody } from '../support/builders';
import { getReceiptPdf, pdfText } from '../support/pdf-text';
import { DATABASE_KINDS } from '../support/test-database';
import { ADMIN_TOKEN, startSupplierFixture, SupplierFixture } from '../suppliers/supplier-fixture';

/** Strings that break naive SQL, HTML, XML, PDF, shell, template and log handling. */
const HOSTILE = [
  "Robert'); DROP TABLE reservations;--",
  '<script>alert(document.cookie)</script>',
  '<![CDATA[x]]> ]]> &amp; &#x0; <!-- --> <?xml version="1.0"?>',
  '") Tj ET BT /F1 99 Tf (pwned',
  '${7*7} {{7*7}} #{7*7} %s %n $(whoami) `id`',
  '\\u0000 \\n \\r\\n" } { "status": "SUPPLIER_CONFIRMED',
];
/**
 * Stored, returned and sent to suppliers verbatim too; not checked in the PDF, which has no
 * emoji font and draws right-to-left scripts left to right (docs/receipts.md).
 */
const OTHER_SCRIPTS = 'Ω≈ç√ 𝕏 🚗 עברית العربية';

/**
 * OWASP API Security Top 10, the items that apply: mass assignment (API3), broken object
 * authorisation on lookups (API1), broken authentication (API2), unrestricted resource
 * consumption (API4, with test/e2e/rate-limits.e2e-spec.ts), security misconfiguration (API8:
 * headers, CORS, HSTS), unsafe consumption and injection (names through SQL, XML, PDF, HTML).
 */
describe.each(DATABASE_KINDS)('security on %s', (kind) => {
  let f: SupplierFixture;

  beforeAll(async () => {
    f = await startSupplierFixture(kind, { TRUST_PROXY: 'loopback', CORS_ORIGINS: 'https://shop.example, https://www.shop.example' });
  });
  afterAll(async () => {
    await f.close();
  });

  const create = (body: unknown) => request(f.base).post('/api/v1/reservations').set('Idempotency-Key', aKey()).send(body as object);
  const count = async () => Number((await f.t.dataSource.query('SELECT COUNT(*) AS n FROM reservations'))[0].n);

  it('stores hostile names verbatim, returns them verbatim, books them over XML and prints them in the PDF', async () => {
    const codes = new Map<string, string>();
    for (const name of [...HOSTILE, OTHER_SCRIPTS]) {
      const body = aCreateBody({ customer: { ...aCreateBody().customer, first_name: name, last_name: `${name}!` } });
      const created = await create(body).expect(202);
      const code = created.body.reservation_code as string;
      codes.set(name, code);
      await f.sandbox.succeed(created.body.payment.payment_intent_id);
      await f.settle();

      const lookup = await request(f.base).get(`/api/v1/reservations/${code}`).query({ email: 'ana@example.com' }).expect(200);
      expect(lookup.body.status).toBe('SUPPLIER_CONFIRMED');
      expect(lookup.body.customer).toMatchObject({ first_name: name, last_name: `${name}!` });
      // HERTZ speaks XML: the supplier read exactly the name we were given.
      expect(f.simulators.HERTZ.drivers().get(code)).toBe(`${name} ${name}!`);
      const [receipt] = await f.t.dataSource.getRepository(Receipt).find({ where: { reservationCode: code } });
      expect(JSON.parse(receipt.content).customer).toMatchObject({ first_name: name, last_name: `${name}!` });
    }
    for (const name of HOSTILE) {
      const pdf = await getReceiptPdf(f.base, codes.get(name)!, 'ana@example.com').expect(200);
      const { pages, text } = await pdfText(pdf.body as Buffer);
      expect(pages).toBe(1);
      expect(text.replace(/\s+/g, '')).toContain(`${name}${name}!`.replace(/\s+/g, ''));
    }
  });

  it('refuses control characters in names and hostile strings in every other text field, with 422 and nothing written', async () => {
    const before = await count();
    const cases: [string, (body: CreateBody, value: string) => unknown, string][] = [
      ['customer.first_name', (b) => ({ ...b, customer: { ...b.customer, first_name: 'Ana\u0000' } }), 'CUSTOMER.NAME_INVALID'],
      ['customer.last_name', (b) => ({ ...b, customer: { ...b.customer, last_name: 'P\u001b[31mérez' } }), 'CUSTOMER.NAME_INVALID'],
      ['customer.email', (b, v) => ({ ...b, customer: { ...b.customer, email: v } }), 'CUSTOMER.EMAIL_INVALID'],
      ['customer.phone', (b, v) => ({ ...b, customer: { ...b.customer, phone: v } }), 'CUSTOMER.PHONE_INVALID'],
      ['supplier_code', (b, v) => ({ ...b, supplier_code: v }), 'RESERVATION.SUPPLIER_CODE_INVALID'],
      ['pickup.office_code', (b, v) => ({ ...b, pickup: { ...b.pickup, office_code: v } }), 'RESERVATION.OFFICE_CODE_INVALID'],
      ['pickup.at', (b, v) => ({ ...b, pickup: { ...b.pickup, at: v } }), 'RESERVATION.LOCAL_TIME_FORMAT'],
      ['car_category', (b, v) => ({ ...b, car_category: v }), 'RESERVATION.CAR_CATEGORY_INVALID'],
      ['price.currency', (b, v) => ({ ...b, price: { ...b.price, currency: v } }), 'PRICE.CURRENCY_INVALID'],
    ];
    for (const [field, breakWith, code] of cases) {
      for (const value of HOSTILE.slice(0, 5)) {
        const response = await create(breakWith(aCreateBody(), value));
        expect({ field, status: response.status, errors: response.body.errors }).toEqual({
          field,
          status: 422,
          errors: expect.arrayContaining([expect.objectContaining({ field, code })]),
        });
      }
    }
    expect(await count()).toBe(before);
  });

  it('API3 mass assignment: fields the client may not set are refused, not ignored', async () => {
    const before = await count();
    for (const extra of [{ status: 'SUPPLIER_CONFIRMED' }, { lock_version: 99 }, { needs_attention: true }, { payment: { payment_intent_id: 'pi_x' } }]) {
      const response = await create({ ...aCreateBody(), ...extra }).expect(422);
      expect(response.body.errors[0].code).toBe('REQUEST.UNKNOWN_FIELD');
    }
    await create({ ...aCreateBody(), customer: { ...aCreateBody().customer, vip: true } }).expect(422);
    expect(await count()).toBe(before);
  });

  it('API1 object authorisation: a lookup needs code and e-mail, and a wrong one is indistinguishable from an unknown code', async () => {
    const code = (await create(aCreateBody()).expect(202)).body.reservation_code as string;
    const wrongEmail = await request(f.base).get(`/api/v1/reservations/${code}`).query({ email: 'eve@example.com' }).expect(404);
    const unknownCode = await request(f.base).get('/api/v1/reservations/ZZZZZZZZ').query({ email: 'eve@example.com' }).expect(404);
    expect(wrongEmail.body.code).toBe(unknownCode.body.code);
    expect(wrongEmail.body.detail).toBe(unknownCode.body.detail);
    for (const email of ["' OR '1'='1", '%', '*', 'ana@example.com\u0000']) {
      await request(f.base).get(`/api/v1/reservations/${code}`).query({ email }).expect(404);
    }
  });

  it('API2 authentication: admin routes want the bearer token; webhooks want Stripe’s signature, fresh', async () => {
    await request(f.base).get('/api/v1/admin/reservations').expect(401);
    await request(f.base).get('/api/v1/admin/reservations').set('Authorization', `Bearer ${ADMIN_TOKEN}x`).expect(401);
    await request(f.base).get('/api/v1/admin/reservations').set('Authorization', `Basic ${ADMIN_TOKEN}`).expect(401);
    await request(f.base).get('/api/v1/admin/reservations').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);

    const payload = JSON.stringify({ id: 'evt_forged', type: 'payment_intent.succeeded', data: { object: { id: 'pi_x', metadata: { reservation_code: 'ZZZZZZZZ' } } } });
    await request(f.base).post('/api/v1/webhooks/stripe').set('Content-Type', 'application/json').send(payload).expect(400);
    await request(f.base).post('/api/v1/webhooks/stripe').set('Content-Type', 'application/json').set('Stripe-Signature', 't=1,v1=deadbeef').send(payload).expect(400);
    await f.postEvent(payload, { secret: 'whsec_someone_else' }).expect(400);
    // Correctly signed, but ten minutes old: a replay.
    await f.postEvent(payload, { timestamp: Math.floor(Date.now() / 1000) - 600 }).expect(400);
    await f.postEvent(payload).expect(200);
  });

  it('API4 resource consumption: oversized bodies and headers, and malformed JSON, are refused cleanly', async () => {
    const big = await create({ ...aCreateBody(), customer: { ...aCreateBody().customer, first_name: 'x'.repeat(20_000) } });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('REQUEST.TOO_LARGE');
    const malformed = await request(f.base).post('/api/v1/reservations').set('Idempotency-Key', aKey()).set('Content-Type', 'application/json').send('{"supplier_code": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('REQUEST.MALFORMED');
    // Node refuses more than 16 KiB of headers before any code of ours runs.
    const headers = await fetch(`${f.base}/health/live`, { headers: { 'X-Padding': 'x'.repeat(20_000) } });
    expect(headers.status).toBe(431);
  });

  it('API8 configuration: security headers everywhere, HSTS only over HTTPS, CORS only for the configured origins', async () => {
    const plain = await request(f.base).get('/health/live').expect(200);
    expect(plain.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
    });
    expect(plain.headers['content-security-policy']).toContain("default-src 'self'");
    expect(plain.headers['x-powered-by']).toBeUndefined();
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    // Behind a trusted proxy that terminated TLS.
    const secure = await request(f.base).get('/health/live').set('X-Forwarded-Proto', 'https').expect(200);
    expect(secure.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');

    const preflight = await request(f.base)
      .options('/api/v1/reservations')
      .set('Origin', 'https://shop.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,idempotency-key')
      .expect(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Idempotency-Key/i);
    const created = await create(aCreateBody()).set('Origin', 'https://www.shop.example').expect(202);
    expect(created.headers['access-control-allow-origin']).toBe('https://www.shop.example');
    expect(created.headers['access-control-expose-headers']).toMatch(/Location/);
    const foreign = await request(f.base).get('/health/live').set('Origin', 'https://evil.example').expect(200);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });
});
