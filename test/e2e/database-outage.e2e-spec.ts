import request from 'supertest';
import { aCreateBody, aKey } from '../support/builders';
import { TcpProxy } from '../support/tcp-proxy';
import { startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('a database that stops answering (MySQL)', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('mysql');
    const target = new URL(database.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 3306));
    await proxy.start();
    target.host = `127.0.0.1:${proxy.port}`;
    t = await startTestApp('mysql', { databaseUrl: target.toString() });
    await request(t.server).post('/api/v1/reservations').set('Idempotency-Key', aKey()).send(aCreateBody()).expect(202);
    await proxy.cut();
  });
  afterAll(async () => {
    await t.close().catch(() => undefined);
    await database.drop();
  });

  it('answers 503 with Retry-After, as problem+json, never 500', async () => {
    const response = await request(t.server)
      .post('/api/v1/reservations')
      .set('Idempotency-Key', aKey())
      .send(aCreateBody());
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBeDefined();
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.code).toBe('SERVICE.DATABASE_UNAVAILABLE');
    expect(JSON.stringify(response.body)).not.toMatch(/ECONN|127\.0\.0\.1|mysql/i);
  });

  it('reports not ready', async () => {
    const response = await request(t.server).get('/health/ready');
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ code: 'SERVICE.NOT_READY', detail: 'Not ready: database down.' });
  });

  it('still answers a lookup with 503, not 500', async () => {
    const response = await request(t.server).get('/api/v1/reservations/ABCDEFGH').query({ email: 'a@example.com' });
    expect(response.status).toBe(503);
    expect(response.body.code).toBe('SERVICE.DATABASE_UNAVAILABLE');
  });
});
