import { AddressInfo, connect } from 'node:net';
import { OutboxEvent, OutboxStatus } from '@app/outbox';
import request from 'supertest';
import { aCreateBody, aKey } from '../support/builders';
import { startTestApp, TestApp } from '../support/test-app';
import { DATABASE_KINDS } from '../support/test-database';

describe.each(DATABASE_KINDS)('operations on %s', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers liveness and readiness (database ping)', async () => {
    expect((await request(t.server).get('/health/live').expect(200)).body).toEqual({ status: 'ok' });
    const ready = await request(t.server).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, outbox: { status: 'up', backlog: 0, dead: 0, oldest_due_age_seconds: 0, max_lag_seconds: null } },
    });
  });

  it('echoes a sane X-Request-Id, replaces an insane one, and puts it in problems', async () => {
    const echoed = await request(t.server).get('/api/v1/suppliers').set('X-Request-Id', 'abc-123').expect(200);
    expect(echoed.headers['x-request-id']).toBe('abc-123');
    const replaced = await request(t.server).get('/api/v1/suppliers').set('X-Request-Id', 'bad id <script>').expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const problem = await request(t.server).get('/api/v1/nowhere').set('X-Request-Id', 'req-404').expect(404);
    expect(problem.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(problem.body).toMatchObject({ status: 404, code: 'ROUTE.NOT_FOUND', request_id: 'req-404' });
  });

  it('serves Swagger UI and an OpenAPI document that describes the create operation fully', async () => {
    const ui = await request(t.server).get('/docs').redirects(1).expect(200);
    expect(ui.text).toContain('swagger-ui');
    const { body: doc } = await request(t.server).get('/docs-json').expect(200);
    const create = doc.paths['/api/v1/reservations'].post;
    expect(create.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true })]),
    );
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['202', '400', '409', '413', '422', '503']));
    expect(create.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/CreateReservationRequest');
    const schemas = doc.components.schemas;
    expect(schemas.CreateReservationRequest.properties.pickup.$ref ?? schemas.CreateReservationRequest.properties.pickup.allOf).toBeDefined();
    expect(schemas.ProblemDetails.properties).toHaveProperty('code');
    for (const path of ['/api/v1/reservations/{code}', '/api/v1/suppliers', '/api/v1/offices', '/api/v1/car-categories']) {
      expect(doc.paths[path].get).toBeDefined();
    }
  });

  it('cleans idempotency keys past their retention, and only those', async () => {
    const { IdempotencyCleanupJob, IdempotencyKey } = await import('@app/core');
    const keys = t.dataSource.getRepository(IdempotencyKey);
    const oldKey = aKey();
    await request(t.server).post('/api/v1/reservations').set('Idempotency-Key', oldKey).send(aCreateBody()).expect(202);
    const freshKey = aKey();
    await request(t.server).post('/api/v1/reservations').set('Idempotency-Key', freshKey).send(aCreateBody()).expect(202);
    await keys.update({ key: oldKey }, { expiresAt: new Date(Date.now() - 1000) });

    expect(await t.app.get(IdempotencyCleanupJob).run()).toBe(1);
    expect(await keys.findOneBy({ key: oldKey })).toBeNull();
    expect(await keys.findOneBy({ key: freshKey })).not.toBeNull();
  });
});

describe('HTTP connections', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => {
    await t.close();
  });

  it('keeps an idle keep-alive connection open longer than a client agent does (no reset race)', async () => {
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    const ask = () =>
      new Promise<string>((resolve, reject) => {
        socket.once('data', (chunk) => resolve(chunk.toString()));
        socket.once('error', reject);
        socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n');
      });
    try {
      expect(await ask()).toMatch(/^HTTP\/1\.1 200/);
      // Node's default agent drops idle sockets after 5 s, and Node's own server default closes
      // them at about 6 s: a client could reuse one just as the server closes it.
      await new Promise((resolve) => setTimeout(resolve, 7000));
      expect(socket.destroyed).toBe(false);
      expect(await ask()).toMatch(/^HTTP\/1\.1 200/);
    } finally {
      socket.destroy();
    }
  });
});

/** Readiness and the outbox: its lag is always shown; past OUTBOX_READY_MAX_LAG_SECONDS (when set) the instance is not ready. */
describe('readiness with an outbox lag limit', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Nothing drains here: the events the test writes stay due.
    t = await startTestApp('sqlite', { env: { OUTBOX_ENABLED: 'false', OUTBOX_READY_MAX_LAG_SECONDS: '60' } });
  });
  afterAll(async () => {
    await t.close();
  });

  const due = (secondsAgo: number) => ({
    type: 'SEND_RECEIPT_EMAIL',
    aggregateType: 'test',
    aggregateId: 'readiness',
    payload: '{}',
    status: OutboxStatus.PENDING,
    attempts: 0,
    nextAttemptAt: new Date(Date.now() - secondsAgo * 1000),
    leaseOwner: null,
    leaseExpiresAt: null,
    lastError: null,
    createdAt: new Date(),
    updatedAt: new Date(),
    processedAt: null,
  });

  it('stays ready while the oldest due event is younger than the limit, and answers 503 past it', async () => {
    const events = t.dataSource.getRepository(OutboxEvent);
    await events.insert(due(30));
    const ready = await request(t.server).get('/health/ready').expect(200);
    expect(ready.body.info.outbox).toMatchObject({ status: 'up', backlog: 1, max_lag_seconds: 60 });
    expect(ready.body.info.outbox.oldest_due_age_seconds).toBeGreaterThanOrEqual(30);

    await events.insert(due(120));
    const lagging = await request(t.server).get('/health/ready').expect(503);
    expect(lagging.body).toMatchObject({ code: 'SERVICE.NOT_READY', detail: 'Not ready: outbox down.' });
    // Liveness does not care: restarting would not help.
    await request(t.server).get('/health/live').expect(200);
  });
});
