import request from 'supertest';
import { listen } from '@app/core';
import { aCreateBody, aKey } from '../support/builders';
import { startTestApp, TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait-for-progress';

/** Real concurrency on the production database: parallel HTTP requests over a real socket. */
describe('concurrent requests on MySQL', () => {
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp('mysql', { env: { DATABASE_POOL_SIZE: '20' } });
    // The API's own backlog (LISTEN_BACKLOG): with Node's default, 1,000 connections opened at
    // once on a busy machine overflowed the accept queue and some were reset unseen.
    await listen(t.app, 0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    await t.reset();
  });

  const count = async (sql: string) => Number((await t.dataSource.query(sql))[0].n);

  it('50 parallel requests with one key create exactly one reservation; every answer is it or a 409', async () => {
    const key = aKey();
    const body = aCreateBody();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => request(base).post('/api/v1/reservations').set('Idempotency-Key', key).send(body)),
    );

    const statuses = responses.map((response) => response.status);
    expect(statuses.every((status) => status === 202 || status === 409)).toBe(true);
    const accepted = responses.filter((response) => response.status === 202);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(new Set(accepted.map((response) => response.body.reservation_code)).size).toBe(1);
    expect(accepted.filter((response) => response.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
    for (const conflict of responses.filter((response) => response.status === 409)) {
      expect(conflict.body.code).toBe('IDEMPOTENCY.REQUEST_IN_FLIGHT');
    }
    expect(await count('SELECT COUNT(*) AS n FROM reservations')).toBe(1);
  });

  it('1,000 parallel creations with distinct keys give 1,000 distinct codes and no error', async () => {
    // allSettled: a failed request must not end the test while hundreds are still in flight.
    const settled = await Promise.allSettled(
      Array.from({ length: 1000 }, () =>
        request(base).post('/api/v1/reservations').set('Idempotency-Key', aKey()).send(aCreateBody()),
      ),
    );
    expect(settled.filter((result) => result.status === 'rejected').map((result) => String(result.reason))).toEqual([]);
    const responses = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failures = responses.filter((response) => response.status !== 202).map((response) => response.body);
    expect(failures).toEqual([]);
    expect(new Set(responses.map((response) => response.body.reservation_code)).size).toBe(1000);
    expect(await count('SELECT COUNT(DISTINCT code) AS n FROM reservations')).toBe(1000);
  });

  it('holds a retry while the first request is inside its first transaction, then answers it 409 or the replay; one reservation', async () => {
    // A transaction that locks the supplier row blocks the reservation insert (its foreign key
    // needs a shared lock on it): the first request stays inside its first transaction as long as we hold it.
    const blocker = t.dataSource.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    let committed = false;
    try {
      await blocker.query("SELECT code FROM suppliers WHERE code = 'HERTZ' FOR UPDATE");

      const key = aKey();
      const body = aCreateBody();
      const send = () => request(base).post('/api/v1/reservations').set('Idempotency-Key', key).send(body).then((r) => r);
      const first = send();
      await waitUntil(async () => (await waiting('INSERT INTO `reservations`')) === 1);
      // The key is claimed in that transaction (ADR 0013): nobody sees it before it commits.
      expect(await count('SELECT COUNT(*) AS n FROM idempotency_keys')).toBe(0);

      // The retry's claim of the same key waits on the first's (the unique index), not on a timer.
      const retry = send();
      await waitUntil(async () => (await waiting('INSERT INTO `idempotency_keys`')) === 1);

      await blocker.commitTransaction();
      committed = true;
      expect((await first).status).toBe(202);
      const held = await retry;
      // The first is then at Stripe (409) or done (the replay), depending on the machine's speed.
      const code = (await first).body.reservation_code;
      expect([
        { status: 409, retryAfter: '1', code: 'IDEMPOTENCY.REQUEST_IN_FLIGHT', replayed: undefined, reservation: undefined },
        { status: 202, retryAfter: undefined, code: undefined, replayed: 'true', reservation: code },
      ]).toContainEqual({
        status: held.status,
        retryAfter: held.headers['retry-after'],
        code: held.body.code,
        replayed: held.headers['idempotent-replayed'],
        reservation: held.body.reservation_code,
      });
      const replay = await send();
      expect(replay.status).toBe(202);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body.reservation_code).toBe(code);
      expect(await count('SELECT COUNT(*) AS n FROM reservations')).toBe(1);
    } finally {
      if (!committed) await blocker.rollbackTransaction();
      await blocker.release();
    }
  });

  /** Statements of this test's database running now, by how they start (an insert that takes this long waits for a lock). */
  const waiting = (start: string) =>
    count(`SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = DATABASE() AND command = 'Query' AND info LIKE '${start}%'`);
});
