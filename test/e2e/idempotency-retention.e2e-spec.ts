import request from 'supertest';
import { IdempotencyCleanupJob, IdempotencyKey } from '@app/core';
import { aCreateBody, aKey } from '../support/builders';
import { startTestApp, TestApp } from '../support/test-app';
import { DATABASE_KINDS } from '../support/test-database';

/**
 * An Idempotency-Key outlives its row (kept 24 h, then reaped): a reservation remembers the
 * request that created it, so a key reused with another body never gets someone else's
 * reservation (ADR 0003).
 */
describe.each(DATABASE_KINDS)('an Idempotency-Key reused after its retention on %s', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    await t.reset();
  });

  const post = (body: unknown, key: string) =>
    request(t.server).post('/api/v1/reservations').set('Content-Type', 'application/json').set('Idempotency-Key', key).send(body as object);
  const reservations = async () => Number((await t.dataSource.query('SELECT COUNT(*) AS count FROM reservations'))[0].count);
  /** What the clean-up job does a day later: the key's row is gone, its reservation stays. */
  const reap = async (key: string) => {
    await t.dataSource.getRepository(IdempotencyKey).update({ key }, { expiresAt: new Date(Date.now() - 1000) });
    expect(await t.app.get(IdempotencyCleanupJob).run()).toBeGreaterThanOrEqual(1);
    expect(await t.dataSource.getRepository(IdempotencyKey).countBy({ key })).toBe(0);
  };

  it("with another body: 422 IDEMPOTENCY.KEY_REUSED, nothing of the first customer's, nothing written", async () => {
    const key = aKey();
    const first = await post(aCreateBody(), key).expect(202);
    await reap(key);

    const other = aCreateBody({ customer: { first_name: 'Zoë', last_name: 'Other', email: 'zoe@example.org', phone: '+34600999888' } });
    const reused = await post(other, key).expect(422);
    expect(reused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(reused.body.code).toBe('IDEMPOTENCY.KEY_REUSED');
    const text = JSON.stringify(reused.body);
    for (const secret of [first.body.reservation_code, 'Pérez', 'ana@example.com', 'client_secret']) expect(text).not.toContain(secret);
    expect(await reservations()).toBe(1);
    // The key's row was released with the failure: the same answer again, never a 500.
    expect((await post(other, key).expect(422)).body.code).toBe('IDEMPOTENCY.KEY_REUSED');
  });

  it('with the same body: the reservation that request created, not a second one', async () => {
    const key = aKey();
    const first = await post(aCreateBody(), key).expect(202);
    await reap(key);
    const again = await post(aCreateBody(), key).expect(202);
    expect(again.body.reservation_code).toBe(first.body.reservation_code);
    expect(await reservations()).toBe(1);
  });
});
