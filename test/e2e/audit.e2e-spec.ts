import { AuditEntry, AuditRetentionJob } from '@app/core';
import request from 'supertest';
import { DATABASE_KINDS } from '../support/test-database';
import { ADMIN_TOKEN, startSupplierFixture, SupplierFixture } from '../suppliers/supplier-fixture';

/** Every read of personal data and every operator action leaves an audit entry, never the data itself. */
describe.each(DATABASE_KINDS)('audit log on %s', (kind) => {
  let f: SupplierFixture;

  beforeAll(async () => {
    f = await startSupplierFixture(kind, { TRUST_PROXY: 'loopback' });
  });
  afterAll(async () => {
    await f.close();
  });

  const entries = () => f.t.dataSource.getRepository(AuditEntry).find({ order: { id: 'ASC' } });
  const admin = (path: string) => request(f.base).get(`/api/v1/admin/${path}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);

  it('records customer reads with address, request id and outcome, and operator reads and actions with the operator', async () => {
    const code = await f.reserveAndPay();
    await f.settle();
    await f.t.dataSource.getRepository(AuditEntry).clear();
    const from = { 'X-Forwarded-For': '203.0.113.9' };

    const read = await request(f.base).get(`/api/v1/reservations/${code.toLowerCase()}`).query({ email: 'ana@example.com' }).set(from).expect(200);
    await request(f.base).get(`/api/v1/reservations/${code}`).query({ email: 'eve@example.com' }).set(from).expect(404);
    await request(f.base).get(`/api/v1/reservations/${code}/receipt`).query({ email: 'ana@example.com' }).set(from).expect(200);
    await request(f.base).get(`/api/v1/reservations/${code}/receipt.pdf`).query({ email: 'ana@example.com' }).set(from).expect(200);
    await admin('reservations?status=SUPPLIER_CONFIRMED').set('X-Operator', 'alice').expect(200);
    await admin('money-safety').expect(200);
    await request(f.base)
      .post(`/api/v1/admin/reservations/${code}/supplier-booking/retry`)
      .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
      .set('X-Operator', 'bob')
      .send({ lock_version: 1 })
      .expect(409);

    const logged = await entries();
    expect(logged.map((entry) => [entry.actor, entry.action, entry.resourceId, entry.outcome])).toEqual([
      ['customer', 'reservation.read', code, 'ok'],
      ['customer', 'reservation.read', code, 'RESERVATION.NOT_FOUND'],
      ['customer', 'receipt.read', code, 'ok'],
      ['customer', 'receipt.pdf.read', code, 'ok'],
      ['admin:alice', 'admin.reservations.list', null, 'ok'],
      ['admin', 'admin.money_safety.read', null, 'ok'],
      ['admin:bob', 'admin.reservation.retry_booking', code, expect.stringMatching(/^RESERVATION\./)],
    ]);
    expect(logged[0]).toMatchObject({ clientIp: '203.0.113.9', requestId: read.headers['x-request-id'] });
    expect(logged[0].occurredAt).toBeInstanceOf(Date);
    // Who and what, never the data: no e-mail, name or phone anywhere in the log.
    const text = JSON.stringify(logged);
    for (const personal of ['ana@example.com', 'eve@example.com', 'Pérez', '+34600111222']) expect(text).not.toContain(personal);
  });

  it('lets operators query it by resource, action and actor, newest first, page by page; the query is audited too', async () => {
    const code = await f.reserveAndPay('BUDGET');
    await f.settle();
    for (let i = 0; i < 3; i++) await request(f.base).get(`/api/v1/reservations/${code}`).query({ email: 'ana@example.com' }).expect(200);

    await request(f.base).get('/api/v1/admin/audit').set('Authorization', 'Bearer nope-nope-nope-nope').expect(401);
    const first = await admin(`audit?resource_id=${code.toLowerCase()}&limit=2`).set('X-Operator', 'carol').expect(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items[0].id).toBeGreaterThan(first.body.items[1].id);
    expect(first.body.items[0]).toEqual({
      id: expect.any(Number),
      occurred_at: expect.any(String),
      actor: 'customer',
      client_ip: expect.any(String),
      action: 'reservation.read',
      resource_id: code,
      outcome: 'ok',
      request_id: expect.any(String),
    });
    const second = await admin(`audit?resource_id=${code}&limit=2&cursor=${first.body.next_cursor}`).expect(200);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.next_cursor).toBeNull();

    const queries = await admin('audit?action=admin.audit.read&actor=admin:carol').expect(200);
    expect(queries.body.items).toHaveLength(1);
    expect(queries.body.items[0]).toMatchObject({ actor: 'admin:carol', action: 'admin.audit.read', outcome: 'ok' });
  });

  it('records an outbox requeue with the event id', async () => {
    const [event] = await f.t.dataSource.query("SELECT id FROM outbox_events WHERE status = 'DONE' ORDER BY id DESC LIMIT 1");
    await request(f.base)
      .post(`/api/v1/admin/outbox/${event.id}/requeue`)
      .query({ force: true })
      .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
      .set('X-Operator', 'dave')
      .expect(200);
    await f.settle();
    const [last] = (await entries()).slice(-1);
    expect(last).toMatchObject({ actor: 'admin:dave', action: 'admin.outbox.requeue', resourceId: String(event.id), outcome: 'ok' });
  });

  it('forgets entries older than AUDIT_RETENTION_DAYS (365), and only those', async () => {
    const repository = f.t.dataSource.getRepository(AuditEntry);
    await repository.clear();
    const entry = (daysAgo: number, action: string) => ({
      occurredAt: new Date(Date.now() - daysAgo * 24 * 3600_000),
      actor: 'customer',
      clientIp: null,
      action,
      resourceId: 'K7M2Q9XD',
      outcome: 'ok',
      requestId: null,
    });
    await repository.insert([entry(400, 'old'), entry(366, 'old'), entry(364, 'kept'), entry(0, 'kept')]);
    expect(await f.t.app.get(AuditRetentionJob).run()).toBe(2);
    expect((await repository.find()).map((row) => row.action)).toEqual(['kept', 'kept']);
  });
});
