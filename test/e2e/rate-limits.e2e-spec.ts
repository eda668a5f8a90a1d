import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import request from 'supertest';
import { aCreateBody, aKey } from '../support/builders';
import { startTestApp, TestApp } from '../support/test-app';

const LIMITS = { RATE_LIMIT_CREATE_PER_MINUTE: '3', RATE_LIMIT_LOOKUP_PER_MINUTE: '4' };
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const create = (t: TestApp, from?: string) => {
  const call = request(t.server).post('/api/v1/reservations').set('Idempotency-Key', aKey());
  return (from ? call.set('X-Forwarded-For', from) : call).send(aCreateBody());
};
const lookup = (t: TestApp, path: string, from?: string) => {
  const call = request(t.server).get(`/api/v1/reservations/${path}`).query({ email: 'ana@example.com' });
  return from ? call.set('X-Forwarded-For', from) : call;
};

/** Per client address: creations and lookups each have a budget per minute; 429 beyond it. */
describe('rate limits (in memory)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('sqlite', { env: { ...LIMITS, TRUST_PROXY: 'true', REDIS_URL: '' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses the creation over the limit with 429 problem+json and Retry-After, and writes nothing', async () => {
    for (let i = 0; i < 3; i++) await create(t, '203.0.113.1').expect(202);
    const refused = await create(t, '203.0.113.1').expect(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 429, code: 'REQUEST.RATE_LIMITED' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect((await t.dataSource.query('SELECT COUNT(*) AS n FROM reservations'))[0].n).toBe(3);
    // Another address has its own budget (TRUST_PROXY: the proxy's X-Forwarded-For is believed).
    await create(t, '203.0.113.2').expect(202);
  });

  it('gives the three lookups one budget, separate from the creations', async () => {
    const from = '198.51.100.7';
    const code = (await create(t, from).expect(202)).body.reservation_code as string;
    await lookup(t, code, from).expect(200);
    await lookup(t, `${code}/receipt`, from).expect(404);
    await lookup(t, `${code}/receipt.pdf`, from).expect(404);
    await lookup(t, code, from).expect(200);
    const refused = await lookup(t, `${code}/receipt`, from).expect(429);
    expect(refused.body.code).toBe('REQUEST.RATE_LIMITED');
    // Wrong guesses count as much as right ones: enumeration is slowed down as well.
    await lookup(t, 'ZZZZZZZZ', from).expect(429);
  });
});

describe('rate limits shared through Redis', () => {
  const prefix = `test:rate-limit:${randomUUID()}:`;
  const env = { ...LIMITS, TRUST_PROXY: 'true', REDIS_URL, RATE_LIMIT_REDIS_PREFIX: prefix };
  let first: TestApp;
  let second: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    await redis.ping().catch((error: Error) => {
      throw new Error(`Redis does not answer on ${REDIS_URL} (${error.message}); start it with: redis-server --daemonize yes`);
    });
    first = await startTestApp('sqlite', { env });
    second = await startTestApp('sqlite', { env });
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('counts requests to two API instances against one budget', async () => {
    await create(first, '192.0.2.10').expect(202);
    await create(second, '192.0.2.10').expect(202);
    await create(first, '192.0.2.10').expect(202);
    await create(second, '192.0.2.10').expect(429);
    await create(first, '192.0.2.10').expect(429);
    expect((await redis.keys(`${prefix}*`)).length).toBeGreaterThan(0);
  });
});

describe('rate limits when Redis is away', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Nothing listens on port 9: every call to the store fails at once.
    t = await startTestApp('sqlite', { env: { ...LIMITS, REDIS_URL: 'redis://127.0.0.1:9', TRUST_PROXY: 'false' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('lets requests through rather than failing them', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await create(t)).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202]);
  });
});
